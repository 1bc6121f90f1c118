from celery import shared_task

from dealer_service.sweep import sweep


@shared_task(name="dealer_service.tasks.sweep_task", ignore_result=False)
def sweep_task() -> dict:
    """Beat's minute tick. Thin: the sweep itself decides what is due."""
    return sweep().as_dict()
