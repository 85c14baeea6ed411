"""``manage.py seed_demo --leads N --orders M``: a large realistic data set for benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandError

from crm.management.demo_seed import demo_data_seed


class Command(BaseCommand):
    help = (
        "Generate clients, leads over every stage of the default pipeline, and orders with their status log, "
        "using bulk inserts in one transaction. Identifiers never collide with existing rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=1000, help="How many leads (default 1000).")
        parser.add_argument("--orders", type=int, default=None, help="How many orders (default 30%% of the leads).")
        parser.add_argument("--clients", type=int, default=None, help="How many clients (default leads // 3).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, to repeat a data set.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Rows per INSERT (default 2000).")

    def handle(self, *args, leads, orders, clients, seed, batch_size, **options):
        orders = leads * 3 // 10 if orders is None else orders
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = time.perf_counter()
        try:
            result = demo_data_seed(leads=leads, orders=orders, clients=clients, seed=seed, batch_size=batch_size)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Created {result.clients} clients, {result.leads} leads, {result.orders} orders "
            f"({result.order_log_entries} order log entries); agents: {', '.join(result.agents)}; "
            f"seed {result.seed}. Took {elapsed:.1f} s."
        )
        if result.orders < orders:
            self.stderr.write(self.style.WARNING(f"Only {result.orders} of {orders} orders: too few leads to carry them."))
