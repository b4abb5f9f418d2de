from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.management.seeding.country import CountryDataError, CountryParameters, seed_country
from accounts.management.seeding.mentorships import mentorship_fingerprint, seed_mentorships
from accounts.management.seeding.referrals import REFERRALS_PER_DOCTOR, seed_referrals


class Command(BaseCommand):
    help = (
        "Generate deterministic synthetic country-scale data (facilities in all 34 provinces, "
        "N doctors, their network, mentorships and referrals) for benchmarks. Refuses if synthetic data exists "
        "unless --reset is given."
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
        parser.add_argument(
            "--mentorships-only",
            action="store_true",
            help="Replace only the mentorships of the synthetic country already there (doctors and network kept).",
        )
        parser.add_argument(
            "--referrals-only",
            action="store_true",
            help="Replace only the referrals of the synthetic country already there (everything else kept).",
        )
        parser.add_argument(
            "--referrals",
            type=int,
            default=None,
            help=f"With --referrals-only: number of referrals (default {REFERRALS_PER_DOCTOR} per doctor: 300000 for 200000).",
        )

    def handle(self, *args, **options):
        parameters = CountryParameters(
            doctors=options["doctors"], seed=options["seed"], as_of=options["as_of"] or timezone.localdate()
        )
        if options["mentorships_only"]:
            self.stdout.write(
                f"Seeding the synthetic country's mentorships (seed {parameters.seed}, as of {parameters.as_of})..."
            )
            seconds_by_step = seed_mentorships(parameters, log=self.stdout.write)
            self.stdout.write(
                f"Mentorships in {sum(seconds_by_step.values()):.1f} s "
                f"({', '.join(f'{name} {seconds:.1f} s' for name, seconds in seconds_by_step.items())}).\n"
                f"Fingerprint: {mentorship_fingerprint()}"
            )
            return
        if options["referrals_only"]:
            self._seed_referrals(parameters, options["referrals"])
            return
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

    def _seed_referrals(self, parameters, count):
        self.stdout.write(
            f"Seeding {count or 'the default number of'} referrals (seed {parameters.seed}, as of {parameters.as_of})..."
        )
        seconds_by_step = seed_referrals(parameters, count=count, log=self.stdout.write)
        self.stdout.write(
            f"Referrals in {sum(seconds_by_step.values()):.1f} s "
            f"({', '.join(f'{name} {seconds:.1f} s' for name, seconds in seconds_by_step.items())})."
        )
