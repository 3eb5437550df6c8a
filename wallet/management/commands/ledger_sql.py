from django.core.management.base import BaseCommand
from django.db import connection

from wallet import ledger_sql


class Command(BaseCommand):
    help = "Print the ledger's functions, triggers and constraints (the text of wallet/ledger.sql)."

    def handle(self, *args, **options):
        self.stdout.write(ledger_sql.current(connection), ending="")
