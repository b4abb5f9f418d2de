from django.core.management.base import BaseCommand

from accounts.management.seeding.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo network (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        report = seed_demo()
        self.stdout.write(
            f"Demo network: {report.facilities} facilities, {report.doctors} doctors "
            f"({report.created} accounts created by this run)."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        width = max(len(login.email) for login in report.logins)
        for login in report.logins:
            self.stdout.write(f"  {login.email:<{width}}  {login.role}")
        self.stdout.write(f"Staff also need the authenticator-app (TOTP) secret {DEMO_TOTP_SECRET}.")
