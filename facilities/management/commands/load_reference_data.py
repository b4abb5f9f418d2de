from django.core.management.base import BaseCommand

from facilities import services


class Command(BaseCommand):
    help = "Load or update provinces, commune-level units and the specialties catalogue (idempotent)."

    def handle(self, *args, **options):
        counts = services.load_reference_data()
        self.stdout.write(
            f"Reference data: {counts.provinces} provinces, {counts.communes} communes, "
            f"{counts.specialties} specialties."
        )
