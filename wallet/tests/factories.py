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
