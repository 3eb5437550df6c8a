"""Test set-up through the same services production uses."""

import uuid

from wallet import services
from wallet.models import LedgerAccount, Transfer


def fund_wallet(user, amount):
    """Credit ``user``'s wallet as a settled top-up would."""
    return services.transfer(
        [
            services.Leg(services.platform_account(LedgerAccount.Kind.STRIPE_CLEARING), -amount),
            services.Leg(services.wallet_of(user), amount),
        ],
        idempotency_key=f"test-topup:{uuid.uuid4()}",
        kind=Transfer.Kind.TOP_UP,
        description="Test top-up",
    )


def spend(user, amount, *, key=None):
    """Pay ``amount`` from ``user``'s wallet to platform revenue."""
    return services.transfer(
        [
            services.Leg(services.wallet_of(user), -amount),
            services.Leg(services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE), amount),
        ],
        idempotency_key=key or f"test-spend:{uuid.uuid4()}",
        kind=Transfer.Kind.PURCHASE,
    )


def pay_reading(client, reader, amount, *, reader_amount=None, minutes=10, key=None):
    """Charge ``client`` for a reading with ``reader``: the reader earns ``reader_amount``
    (default 70 %), the platform keeps the rest."""
    reader_amount = amount * 7 // 10 if reader_amount is None else reader_amount
    return services.transfer(
        [
            services.Leg(services.wallet_of(client), -amount),
            services.Leg(services.earnings_of(reader), reader_amount),
            services.Leg(
                services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE),
                amount - reader_amount,
            ),
        ],
        idempotency_key=key or f"test-reading:{uuid.uuid4()}",
        kind=Transfer.Kind.READING,
        description=f"Reading with {reader.public_name}",
        metadata={"reader_name": reader.public_name, "minutes": minutes, "channel": "chat"},
    )
