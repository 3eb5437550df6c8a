"""Every stored rating becomes what the reader's visible reviews say: demo content used to write
invented averages and counts ("4.92 from 1,284 reviews") with no reviews behind them."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations
from django.db.models import Avg, Count, Q


def rating_from_reviews(apps, schema_editor):
    ReaderPage = apps.get_model("readers", "ReaderPage")
    visible = Q(reviews__is_hidden=False)
    pages = ReaderPage.objects.annotate(
        average=Avg("reviews__rating", filter=visible), count=Count("reviews", filter=visible)
    )
    for page in pages.only("pk", "rating_average", "rating_count").iterator():
        average = Decimal(page.average or 0).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if (page.rating_average, page.rating_count) != (average, page.count):
            ReaderPage.objects.filter(pk=page.pk).update(
                rating_average=average, rating_count=page.count
            )


class Migration(migrations.Migration):
    dependencies = [
        ("readers", "0006_readerpage_presence_seen_at"),
    ]

    operations = [migrations.RunPython(rating_from_reviews, migrations.RunPython.noop)]
