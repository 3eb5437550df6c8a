"""Background work the wallet's services ask for, by task name.

Services enqueue; ``wallet.tasks`` holds thin Celery wrappers that call the services. Naming
the task instead of importing it keeps that dependency one way (tasks -> services)."""

from celery import current_app


def enqueue(task_name, *args, countdown=None):
    """Queue ``task_name`` (a registered Celery task) with ``args``, after ``countdown`` s."""
    current_app.tasks[task_name].apply_async(args, countdown=countdown)
