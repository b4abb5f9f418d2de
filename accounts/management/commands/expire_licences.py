from django.core.management.base import BaseCommand

from accounts import services


class Command(BaseCommand):
    help = "Move every verified doctor whose practice licence has lapsed to expired (run daily)."

    def handle(self, *args, **options):
        expired = services.expire_lapsed_licences()
        self.stdout.write(f"Expired licences: {expired}.")
