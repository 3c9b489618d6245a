import sys

from taskcli.cli import main

sys.exit(main())
