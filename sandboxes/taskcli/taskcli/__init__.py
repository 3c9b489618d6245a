"""taskcli: a tiny command-line task tracker."""

from taskcli.models import Priority, Status, Task
from taskcli.storage import TaskStore

__all__ = ["Priority", "Status", "Task", "TaskStore"]
__version__ = "0.9.2"
