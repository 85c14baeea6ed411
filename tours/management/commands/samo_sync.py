from django.core.management.base import BaseCommand, CommandError

from tours.models import SyncTrigger
from tours.services.sync import samo_sync


class Command(BaseCommand):
    help = ("Preload SAMO reference data for the configured departure cities × countries "
            "(SAMO_DEPARTURE_CITIES, SAMO_COUNTRIES); --prices also warms the default price search of each.")

    def add_arguments(self, parser):
        parser.add_argument("--prices", action="store_true", help="also warm the default price searches")

    def handle(self, *args, prices=False, **options):
        run = samo_sync(prices=prices, trigger=SyncTrigger.COMMAND)
        self.stdout.write(f"SAMO preload #{run.pk}: {run.fetched} answer(s) cached, {len(run.failures)} failure(s).")
        for failure in run.failures:
            self.stderr.write(f"  {failure['action']} {failure['params']}: {failure['error']}")
        if run.failures and not run.fetched:
            raise CommandError("Nothing could be fetched from SAMO.")
