"""Housekeeping timers."""
import azure.functions as func

from shared.services import maintenance

bp = func.Blueprint()


@bp.timer_trigger(schedule="0 30 3 * * *", arg_name="timer", run_on_startup=False)
def purge_ended_sessions(timer: func.TimerRequest) -> None:
    """Daily at 03:30 UTC: forget sessions that ended more than a week ago. Idempotent: running
    it twice or late only finds less to do."""
    maintenance.purge_ended_sessions()
