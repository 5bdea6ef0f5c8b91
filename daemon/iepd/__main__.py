from iepd.cli import main

raise SystemExit(main())
