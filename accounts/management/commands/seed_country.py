from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.management.seeding.country import CountryDataError, CountryParameters, seed_country


class Command(BaseCommand):
    help = (
        "Generate deterministic synthetic country-scale data (facilities in all 34 provinces, "
        "N doctors) for benchmarks. Refuses if synthetic data exists unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--doctors", type=int, default=200_000, help="Number of doctors (default 200000)."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: same seed, same data (default 1)."
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="The day the data set is generated for, YYYY-MM-DD (default today): dates are relative to it.",
        )
        parser.add_argument("--reset", action="store_true", help="Delete existing synthetic data first.")

    def handle(self, *args, **options):
        parameters = CountryParameters(
            doctors=options["doctors"], seed=options["seed"], as_of=options["as_of"] or timezone.localdate()
        )
        self.stdout.write(
            f"Seeding {parameters.doctors} doctors (seed {parameters.seed}, as of {parameters.as_of})..."
        )
        try:
            report = seed_country(parameters, reset=options["reset"], log=self.stdout.write)
        except (CountryDataError, ValueError) as error:
            raise CommandError(str(error)) from error
        timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.seconds_by_step.items())
        self.stdout.write(
            f"Country data: {report.facilities} facilities, {report.doctors} doctors in "
            f"{sum(report.seconds_by_step.values()):.1f} s ({timings}).\nFingerprint: {report.fingerprint}"
        )
