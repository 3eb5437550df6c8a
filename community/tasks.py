"""Celery tasks of the forum: thin wrappers around its services."""

from celery import shared_task

from . import services


@shared_task
def email_new_post(post_id):
    """Email a new post's thread followers. Not retried as a whole: a retry would send the
    same post again to those already told."""
    return services.email_subscribers(post_id)
