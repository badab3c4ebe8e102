"""Timers: the e-mail outbox and housekeeping. Each is safe to run late or twice."""
import azure.functions as func

from shared.services import email, maintenance

bp = func.Blueprint()


@bp.timer_trigger(schedule="0 * * * * *", arg_name="timer", run_on_startup=False)
def send_email_outbox(timer: func.TimerRequest) -> None:
    """Every minute: send the pending e-mails that are due (locked rows, never twice)."""
    email.send_due()


@bp.timer_trigger(schedule="0 30 3 * * *", arg_name="timer", run_on_startup=False)
def purge_old_records(timer: func.TimerRequest) -> None:
    """Daily at 03:30 UTC: forget ended sessions, finished e-mails and closed sign-in throttle
    windows (see shared.services.maintenance). Running it twice or late finds less to do."""
    maintenance.purge_old_records()
