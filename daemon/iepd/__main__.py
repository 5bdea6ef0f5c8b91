from iepd.cli.main import main

raise SystemExit(main())
