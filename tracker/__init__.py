"""tracker: supervise a task-division notice (任务分工) from the day it is issued to the year-end assessment."""

__version__ = "0.1.0"
