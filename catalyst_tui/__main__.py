from catalyst_tui.cli import main

raise SystemExit(main())
