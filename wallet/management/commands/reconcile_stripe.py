"""Compare what Stripe says happened with what our ledger recorded; exit non-zero on any mismatch.

- every succeeded wallet top-up PaymentIntent has exactly its amount credited (``stripe:pi:<id>``),
  and no PaymentIntent that did not succeed was credited;
- every succeeded refund of a top-up is debited (``stripe:refund:<id>``) for its amount;
- every ledger credit/refund keyed to Stripe exists in Stripe;
- every Stripe Transfer made for a payout matches a sent ``PayoutRequest`` and the other way round
  (skip with ``--no-transfers`` on servers without Connect, e.g. localstripe).
"""

import stripe
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from wallet.models import Entry, LedgerAccount, PayoutRequest, Transfer
from wallet.payments import TOP_UP_PURPOSE, api_key


def _clearing_amount(transfer):
    """The amount a transfer moved through Stripe clearing (credits are negative there)."""
    total = (
        Entry.objects.filter(
            transfer=transfer, account__kind=LedgerAccount.Kind.STRIPE_CLEARING
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return abs(total)


class Command(BaseCommand):
    help = "Compare Stripe PaymentIntents, refunds and transfers with the ledger."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-transfers",
            action="store_true",
            help="Skip Connect transfers (for Stripe servers without Connect, like localstripe).",
        )

    def handle(self, *args, no_transfers=False, **options):
        self.problems = []
        key = api_key()
        try:
            self._payment_intents_and_refunds(key)
            if not no_transfers:
                self._payout_transfers(key)
        except stripe.StripeError as error:
            raise CommandError(f"Could not read from Stripe: {error}") from error
        for problem in self.problems:
            self.stdout.write(f"MISMATCH {problem}")
        if self.problems:
            raise CommandError(f"{len(self.problems)} mismatch(es) between Stripe and the ledger.")
        self.stdout.write(self.style.SUCCESS("Stripe and the ledger agree."))

    def _ledger(self, prefix):
        return {
            transfer.idempotency_key: transfer
            for transfer in Transfer.objects.filter(idempotency_key__startswith=prefix)
        }

    def _payment_intents_and_refunds(self, key):
        credits = self._ledger("stripe:pi:")
        debits = self._ledger("stripe:refund:")
        top_up_intents = set()
        for intent in stripe.PaymentIntent.list(limit=100, api_key=key).auto_paging_iter():
            metadata = intent.to_dict().get("metadata") or {}
            if metadata.get("purpose") != TOP_UP_PURPOSE:
                continue
            top_up_intents.add(intent.id)
            ledger_key = f"stripe:pi:{intent.id}"
            credit = credits.pop(ledger_key, None)
            if intent.status == "succeeded":
                amount = intent.to_dict().get("amount_received") or intent.amount
                if credit is None:
                    self.problems.append(f"{intent.id}: succeeded for {amount} but not credited")
                elif _clearing_amount(credit) != amount:
                    self.problems.append(
                        f"{intent.id}: Stripe {amount}, ledger {_clearing_amount(credit)}"
                    )
            elif credit is not None:
                self.problems.append(f"{intent.id}: credited but Stripe says {intent.status}")
        for ledger_key in credits:
            self.problems.append(f"{ledger_key}: credited but unknown to Stripe")

        for refund in stripe.Refund.list(limit=100, api_key=key).auto_paging_iter():
            if refund.payment_intent not in top_up_intents:
                continue
            debit = debits.pop(f"stripe:refund:{refund.id}", None)
            if refund.status != "succeeded":
                continue
            if debit is None:
                self.problems.append(f"{refund.id}: refund of {refund.amount} not debited")
            elif _clearing_amount(debit) != refund.amount:
                self.problems.append(
                    f"{refund.id}: Stripe {refund.amount}, ledger {_clearing_amount(debit)}"
                )
        for ledger_key in debits:
            self.problems.append(f"{ledger_key}: debited but unknown to Stripe")

    def _payout_transfers(self, key):
        sent = {
            payout.stripe_transfer_id: payout
            for payout in PayoutRequest.objects.filter(status=PayoutRequest.Status.PAID)
        }
        for stripe_transfer in stripe.Transfer.list(limit=100, api_key=key).auto_paging_iter():
            metadata = stripe_transfer.to_dict().get("metadata") or {}
            if not metadata.get("payout"):
                continue
            payout = sent.pop(stripe_transfer.id, None)
            if payout is None:
                self.problems.append(
                    f"{stripe_transfer.id}: Stripe transfer for payout {metadata['payout']} "
                    "has no sent payout in the ledger"
                )
            elif payout.amount != stripe_transfer.amount:
                self.problems.append(
                    f"{stripe_transfer.id}: Stripe {stripe_transfer.amount}, payout {payout.amount}"
                )
        for transfer_id, payout in sent.items():
            self.problems.append(
                f"payout {payout.public_id}: marked sent as {transfer_id}, unknown to Stripe"
            )
