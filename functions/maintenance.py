"""Timers: the e-mail outbox and housekeeping. Each is safe to run late or twice."""
import azure.functions as func

from shared.services import (closing, email, maintenance, organization_export, subscription,
                             usage)

bp = func.Blueprint()


@bp.timer_trigger(schedule="0 * * * * *", arg_name="timer", run_on_startup=False)
def send_email_outbox(timer: func.TimerRequest) -> None:
    """Every minute: send the pending e-mails that are due (locked rows, never twice)."""
    email.send_due()


@bp.timer_trigger(schedule="30 * * * * *", arg_name="timer", run_on_startup=False)
def build_data_exports(timer: func.TimerRequest) -> None:
    """Every minute: build the data exports owners asked for (each locked while built, never
    twice) and e-mail each requester that theirs is ready, for 24 hours."""
    organization_export.build_due()


@bp.timer_trigger(schedule="0 30 3 * * *", arg_name="timer", run_on_startup=False)
def purge_old_records(timer: func.TimerRequest) -> None:
    """Daily at 03:30 UTC: forget ended sessions, finished e-mails, expired data exports' content
    and closed sign-in throttle windows (see shared.services.maintenance). Running it twice or late finds less to do."""
    maintenance.purge_old_records()


@bp.timer_trigger(schedule="0 0 0 1 * *", arg_name="timer", run_on_startup=False)
def monthly_usage_reset(timer: func.TimerRequest) -> None:
    """The 1st of each month at 00:00 UTC: close the finished month's usage (its totals kept as
    history) and open the new one, for every organization; twice or late changes nothing."""
    usage.reset_month()


@bp.timer_trigger(schedule="0 5 0 * * *", arg_name="timer", run_on_startup=False)
def record_account_transitions(timer: func.TimerRequest) -> None:
    """Daily at 00:05 UTC: record the trials that ended and the graces that ran out (requests
    already saw them, on the second), and send the owners' e-mails, including the reminder
    three days before a trial ends; each once."""
    subscription.record_transitions()


@bp.timer_trigger(schedule="0 0 4 * * *", arg_name="timer", run_on_startup=False)
def erase_closed_organizations(timer: func.TimerRequest) -> None:
    """Daily at 04:00 UTC: erase every organization closed over 30 days ago and not reopened:
    its Stripe subscription canceled if still live, then every row of it in every table."""
    closing.erase_due()
