"""What readings.contact finds in a message (emails, phone numbers, links, handles, messaging
apps) and what it leaves alone (dates of birth, times, prices, ordinary prose)."""

import pytest

from readings.contact import find_contact_details

POSITIVES = [
    ("mail me at jane.doe@gmail.com", "jane.doe@gmail.com"),
    ("jane (at) gmail (dot) com", "jane (at) gmail (dot) com"),
    ("write to jane at gmail dot com", "jane at gmail dot com"),
    ("call 555-123-4567 tonight", "555-123-4567"),
    ("my number is +44 20 7946 0958", "+44 20 7946 0958"),
    ("(555) 123 4567", "555) 123 4567"),
    ("555.123.4567", "555.123.4567"),
    ("5551234567", "5551234567"),
    ("ring 555 1234", "555 1234"),
    ("see https://example.com/me.", "https://example.com/me"),
    ("www.mysite.net", "www.mysite.net"),
    ("visit moonreader.com for more", "moonreader.com"),
    ("find me on instagram", "find me on instagram"),
    ("insta @moonlady", "insta @moonlady"),
    ("ig: moonlady", "ig: moonlady"),
    ("add me on WhatsApp", "WhatsApp"),
    ("Telegram?", "Telegram"),
    ("follow @luna_x", "@luna_x"),
    ("pay me by venmo instead", "venmo"),
    ("cashapp $luna", "cashapp"),
    ("let's talk on zoom", "talk on zoom"),
    ("DM me", "DM me"),
    ("email me directly", "email me directly"),
    ("t.me/luna", "t.me/luna"),
    ("discord: luna1234", "discord: luna1234"),
]

NEGATIVES = [
    "I was born on 12.05.1990",
    "born 1990-05-12 at dawn",
    "05/12/1990",
    "at 10:30 or 11:45 tomorrow",
    "it costs $25.00, or $1,500 for the year",
    "I'm 34 and he's 36",
    "between 1990 and 2000",
    "my ex posted it on Facebook",
    "Can you call me when you're free?",
    "order 123456 never came",
    "3 kids, 2 cats",
    "e.g. my job",
    "meeting at 3pm",
    "Node.js developer",
    "room 1204 on floor 12",
    "He texted me at night",
    "I love Instagram reels",
    "50% chance, version 2.0.1, 1.5 million",
    "I work at Google from 9 to 5",
    "my phone broke",
    "Will I find love this year? I keep seeing 11:11 and 444.",
]


@pytest.mark.parametrize(("text", "found"), POSITIVES)
def test_contact_details_are_found(text, found):
    assert found in find_contact_details(text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_prose_dates_times_and_prices_are_not_contact_details(text):
    assert find_contact_details(text) == []


def test_a_link_to_this_site_is_not_a_contact_detail(settings):
    settings.SITE_URL = "https://soulseer.example"
    assert find_contact_details("see https://soulseer.example/readers/luna/") == []
    assert find_contact_details("see https://elsewhere.example/luna/") != []
