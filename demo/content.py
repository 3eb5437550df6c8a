"""The words behind ``manage.py load_demo_content``: pages, readers, products.

Kept as plain data so copy edits never touch the loader. StreamField bodies are in Wagtail's
JSON form (a list of ``{"type": ..., "value": ...}``); page and image references are filled in by
the loader once the objects exist. Prices and rates are integer cents. Numbers in the copy
(3 free minutes, 70% reader share, 5-minute reconnect grace) match ``MarketplaceSettings``
defaults and the reading engine described in ARCHITECTURE.md.
"""

from html import escape


def paragraph(*sentences):
    return {"type": "paragraph", "value": f"<p>{' '.join(sentences)}</p>"}


def bullets(*items):
    lis = "".join(f"<li>{item}</li>" for item in items)
    return {"type": "paragraph", "value": f"<ul>{lis}</ul>"}


def heading(text, level="h2"):
    return {"type": "heading", "value": {"text": text, "level": level}}


def callout(title, text):
    return {"type": "callout", "value": {"title": title, "text": f"<p>{text}</p>"}}


def faq(*pairs, title="Frequently asked questions"):
    items = [{"question": q, "answer": f"<p>{a}</p>"} for q, a in pairs]
    return {"type": "faq", "value": {"title": title, "items": items}}


def bio(*paragraphs):
    return [paragraph(escape(text, quote=False)) for text in paragraphs]


# --- specialties ---------------------------------------------------------------------------------

SPECIALTIES = [
    ("Love & Relationships", "love-and-relationships"),
    ("Career & Money", "career-and-money"),
    ("Tarot", "tarot"),
    ("Astrology", "astrology"),
    ("Mediumship", "mediumship"),
    ("Dream Interpretation", "dream-interpretation"),
    ("Numerology", "numerology"),
    ("Energy Healing", "energy-healing"),
    ("Past Lives", "past-lives"),
    ("Pet Psychic", "pet-psychic"),
]


# --- readers -------------------------------------------------------------------------------------
# rates: (chat, voice, video) in cents per minute.
# hair: the silhouette drawn for the generated photo.

READERS = [
    {
        "slug": "aurora-vale",
        "first_name": "Aurora",
        "last_name": "Vale",
        "tagline": "Gentle, honest tarot for matters of the heart",
        "specialties": ["love-and-relationships", "tarot"],
        "languages": "English",
        "years_experience": 14,
        "rates": (399, 499, 599),
        "hair": "long",
        "bio": bio(
            "I picked up my first Rider-Waite deck at sixteen and have read for strangers, friends "
            "and, for nine years, a small studio above a bookshop in Asheville. Most of the people "
            "who find me are standing at a fork in a relationship: stay or go, call or wait, "
            "forgive or protect themselves.",
            "My readings are calm and direct. I will tell you what the cards show even when it is "
            "not what you hoped, and I will always show you where you still have a choice. I do "
            "not do spells, curses or promises of a guaranteed reunion.",
            "Come with one clear question if you can. A ten-minute chat is usually enough for a "
            "three-card spread; a Celtic Cross with time for your follow-up questions takes closer "
            "to twenty-five.",
        ),
    },
    {
        "slug": "marcus-okafor",
        "first_name": "Marcus",
        "last_name": "Okafor",
        "tagline": "Career crossroads and money blocks, read plainly",
        "specialties": ["career-and-money", "numerology", "tarot"],
        "languages": "English",
        "years_experience": 9,
        "rates": (299, 349, 449),
        "hair": "short",
        "bio": bio(
            "Before reading full time I spent eleven years in corporate finance, so I know what a "
            "bad quarter, a toxic manager and a job offer you are scared to accept feel like. I "
            "combine tarot with your numerology chart to look at timing: when to push, when to "
            "wait, and what keeps repeating.",
            "Clients tell me I am practical. We will talk about the energy around a decision, and "
            "we will also talk about the next concrete step you can take this week.",
            "Good questions for me: a job change, a business launch, a raise you are about to ask "
            "for, or a pattern with money you want to understand.",
        ),
    },
    {
        "slug": "sofia-marquez",
        "first_name": "Sofía",
        "last_name": "Márquez",
        "tagline": "Bilingual medium: messages from the people you miss",
        "specialties": ["mediumship", "love-and-relationships", "dream-interpretation"],
        "languages": "English, Spanish",
        "years_experience": 21,
        "rates": (599, 649, 699),
        "hair": "curls",
        "bio": bio(
            "My grandmother in Oaxaca read coffee grounds for the whole street, and she was the "
            "first to tell me that the voices I heard as a child were not imagination. I have "
            "worked as an evidential medium for more than twenty years, in English and in Spanish.",
            "In a mediumship reading I describe who comes through and the details they give me "
            "before anything else, so you can judge the connection for yourself. Sometimes the "
            "person you hope to hear from does not come forward; I will tell you so honestly.",
            "Grief is tender. If your loss is very recent, I may suggest we wait a little, and I "
            "will always leave space for you to simply talk.",
        ),
    },
    {
        "slug": "elena-petrova",
        "first_name": "Elena",
        "last_name": "Petrova",
        "tagline": "Astrologer: your chart, your timing, your next chapter",
        "specialties": ["astrology", "past-lives"],
        "languages": "English, Russian",
        "years_experience": 17,
        "rates": (349, 449, 549),
        "hair": "bun",
        "bio": bio(
            "I trained in classical Western astrology in Saint Petersburg and later studied "
            "evolutionary astrology, which looks at the story your nodes and Pluto tell across "
            "lifetimes. I read transits and progressions to answer the question everyone really "
            "asks: why now?",
            "Please have your birth date, place and time ready (the time matters; a birth "
            "certificate is best). Without a time I can still read, but the houses stay blurred.",
            "I am usually online in the evenings, Central European Time. If you see me offline, "
            "book ahead and I will prepare your chart before we meet.",
        ),
    },
    {
        "slug": "kai-nakamura",
        "first_name": "Kai",
        "last_name": "Nakamura",
        "tagline": "Calm energy work and dream readings for restless minds",
        "specialties": ["energy-healing", "dream-interpretation"],
        "languages": "English, Japanese",
        "years_experience": 6,
        "rates": (199, 249, 299),
        "hair": "short",
        "bio": bio(
            "I am a Reiki master teacher and a former night-shift nurse, which is how I became "
            "fascinated by dreams: the ones people tell you at three in the morning are the most "
            "honest stories there are.",
            "In a session we look at the symbols in a recurring dream or a vivid one you cannot "
            "shake, and I scan your energy for where you are holding tension. Voice sessions work "
            "best for energy work; chat is perfect for dreams.",
            "I keep my rates low on purpose. I would rather you came back when you need to than "
            "hold out for a crisis.",
        ),
    },
    {
        "slug": "priya-raman",
        "first_name": "Priya",
        "last_name": "Raman",
        "tagline": "Vedic astrology and numerology for big life decisions",
        "specialties": ["astrology", "numerology", "career-and-money"],
        "languages": "English, Hindi, Tamil",
        "years_experience": 12,
        "rates": (449, 499, 599),
        "hair": "long",
        "bio": bio(
            "I learned Jyotish from my father in Chennai and have practised it for twelve years, "
            "alongside a career in software testing that taught me to check every calculation "
            "twice. I read your birth chart with its current dasha periods and add numerology "
            "for names, dates and business launches.",
            "Many of my clients come before a wedding, a move abroad or a career switch and want "
            "to know which months are supportive. I give you dates and reasons, not vague moods.",
            "Readings in English, Hindi or Tamil. Please share your birth details in the first "
            "message so we do not spend paid minutes on them.",
        ),
    },
    {
        "slug": "ros-whitfield",
        "first_name": "Rosalind",
        "last_name": "Whitfield",
        "tagline": "Animal communicator and medium for pets who have passed",
        "specialties": ["pet-psychic", "mediumship"],
        "languages": "English",
        "years_experience": 19,
        "rates": (249, 299, 399),
        "hair": "short",
        "bio": bio(
            "I grew up on a sheep farm in Yorkshire and have been talking to animals for as long "
            "as I can remember; it took me rather longer to notice that they were answering. "
            "Today I help people understand pets who are anxious, unwell or newly adopted, and "
            "connect with companions who have died.",
            "A photo helps me tune in. I will describe your animal's personality and habits first "
            "so you can recognise them, then pass on what they want you to know.",
            "I am not a vet. If your animal is ill, please see one as well; I am happy to help "
            "you both through it.",
        ),
    },
    {
        "slug": "jasper-cole",
        "first_name": "Jasper",
        "last_name": "Cole",
        "tagline": "No-nonsense tarot: what is really going on",
        "specialties": ["tarot", "career-and-money", "love-and-relationships"],
        "languages": "English",
        "years_experience": 8,
        "rates": (249, 349, 449),
        "hair": "short",
        "bio": bio(
            "I read tarot the way a good friend gives advice: warmly, quickly and without "
            "sugar-coating. I work with the Thoth deck and like short, sharp spreads that answer "
            "the question you actually asked.",
            "Expect practical readings about work, situationships and the decisions you keep "
            "putting off. I will not tell you what you want to hear just to keep you on the line.",
            "Tip: chat readings with me often finish within eight minutes, which with your free "
            "intro minutes makes a first reading very cheap.",
        ),
    },
    {
        "slug": "amara-diallo",
        "first_name": "Amara",
        "last_name": "Diallo",
        "tagline": "Energy healing and past-life insight for patterns that repeat",
        "specialties": ["energy-healing", "past-lives", "love-and-relationships"],
        "languages": "English, French",
        "years_experience": 11,
        "rates": (349, 399, 499),
        "hair": "wrap",
        "bio": bio(
            "Born in Dakar and raised in Lyon, I work with energy and memory: the places in your "
            "body where old experiences sit, and the stories from earlier lives that echo in this "
            "one. People usually come to me when the same kind of relationship keeps finding them.",
            "A session with me is slower than a card reading. We breathe, I describe what I sense "
            "in your field, and we talk about what might be ready to be released.",
            "Séances en français avec plaisir.",
        ),
    },
    {
        "slug": "luna-fairweather",
        "first_name": "Luna",
        "last_name": "Fairweather",
        "tagline": "Dreams, moons and cards for the curious beginner",
        "specialties": ["dream-interpretation", "tarot", "astrology"],
        "languages": "English",
        "years_experience": 4,
        "rates": (199, 249, 349),
        "hair": "long",
        "bio": bio(
            "If you have never had a reading and feel a bit silly about it, start with me. I "
            "explain every card and symbol as we go, and I love teaching people to read their own "
            "dreams and moon cycles.",
            "I am newer to SoulSeer, which is why my rates are among the lowest here. My reviews "
            "are the best way to decide whether I am a good fit for you.",
            "I read mostly on weekday afternoons, Pacific time.",
        ),
    },
    {
        "slug": "gabriel-santos",
        "first_name": "Gabriel",
        "last_name": "Santos",
        "tagline": "Evidential medium with twenty-five years of readings",
        "specialties": ["mediumship", "past-lives"],
        "languages": "English, Portuguese",
        "years_experience": 25,
        "rates": (699, 749, 799),
        "hair": "short",
        "bio": bio(
            "I have worked as a medium since 2001, first in the spiritualist churches of São "
            "Paulo and then across the United States and Portugal. My focus is evidence: names, "
            "places, turns of phrase and memories that you can check, before any message.",
            "Because readings with me are emotional and often long, I recommend booking ahead "
            "and setting aside a quiet half hour. My calendar opens four weeks in advance.",
            "Atendo também em português.",
        ),
    },
    {
        "slug": "noor-haddad",
        "first_name": "Noor",
        "last_name": "Haddad",
        "tagline": "Love, names and numbers: clarity with kindness",
        "specialties": ["love-and-relationships", "numerology", "dream-interpretation"],
        "languages": "English, Arabic",
        "years_experience": 7,
        "rates": (299, 399, 499),
        "hair": "wrap",
        "bio": bio(
            "I read compatibility through numerology: your life path, your partner's, and the "
            "numbers in the dates that matter to you both. It is a surprisingly precise way to "
            "see where two people pull together and where they pull apart.",
            "I also work with dreams, especially the ones about an ex or a person you have not "
            "met yet. Bring the details, however strange.",
            "Readings in English and Arabic. I am a night owl and often online late, Gulf time.",
        ),
    },
]

FEATURED_READER_SLUGS = [
    "sofia-marquez",
    "aurora-vale",
    "priya-raman",
    "amara-diallo",
    "marcus-okafor",
    "noor-haddad",
]


# --- home ----------------------------------------------------------------------------------------

HOME = {
    "title": "Home",
    "seo_title": "SoulSeer — psychic readings by chat, voice and video",
    "search_description": (
        "Talk to vetted psychic readers by the minute. Tarot, astrology, mediumship and more, "
        "with 3 free minutes with every new reader."
    ),
    "hero_title": "Clarity, one minute at a time",
    "hero_text": (
        "Talk to gifted, vetted psychic readers by chat, voice or video. See every price before "
        "you start, pay only for the minutes you use, and get 3 free minutes with every new reader."
    ),
    "hero_cta_text": "Find your reader",
    "featured_title": "Readers people come back to",
    # link: a page slug path resolved by the loader; image: a motif for the generated picture.
    "promos": [
        {
            "title": "3 free minutes with every new reader",
            "text": (
                "Your first three minutes with each reader are on us, so you can find a voice "
                "that feels right before you spend anything."
            ),
            "link": "help/free-intro-minutes",
            "link_text": "How free minutes work",
            "motif": "spark",
        },
        {
            "title": "Book ahead",
            "text": (
                "Popular readers fill up fast. Reserve a time that suits you; we only hold the "
                "funds until the reading starts."
            ),
            "link": "help/booking-a-reading-ahead",
            "link_text": "Booking explained",
            "motif": "moons",
        },
        {
            "title": "The SoulSeer shop",
            "text": (
                "Tarot decks, crystals, guided meditations and personal birth chart reports, "
                "chosen by our readers."
            ),
            "link": "shop",
            "link_text": "Visit the shop",
            "motif": "crystals",
        },
    ],
    "how_it_works": [
        heading("How SoulSeer works"),
        {
            "type": "paragraph",
            "value": (
                "<p><b>1. Choose a reader.</b> Filter by specialty, language and price, read "
                "their reviews, and see who is online right now.</p>"
                "<p><b>2. Top up your wallet.</b> Add funds once with a card; your balance is "
                "always shown at the top of the page.</p>"
                "<p><b>3. Start a chat, call or video.</b> You are billed by the minute at the "
                "rate you saw, and you can end the reading whenever you like.</p>"
            ),
        },
    ],
    "faq": faq(
        (
            "How much does a reading cost?",
            "Each reader sets a per-minute rate for chat, voice and video, shown on their "
            "profile before you start. Your first 3 minutes with each new reader are free.",
        ),
        (
            "Do I need to pay up front?",
            "You top up your wallet first, and minutes are taken from it as you go. Nothing is "
            "charged when a reader declines or does not answer.",
        ),
        (
            "Are readers checked?",
            "Every reader passes an identity check and test readings with our team before "
            "they appear on SoulSeer, and every review comes from a paid reading.",
        ),
        (
            "What if a reading goes wrong?",
            "Tell us within 72 hours through the help centre. If the connection failed or the "
            "reading was clearly not what was offered, we credit your wallet.",
        ),
        title="Questions people ask first",
    ),
}

READER_INDEX = {
    "slug": "readers",
    "title": "Our readers",
    "introduction": (
        "Every SoulSeer reader is vetted by our team and reviewed only by clients who paid for a "
        "reading. Prices are per minute and always shown before you start."
    ),
}

HELP_INDEX = {
    "slug": "help",
    "title": "Help centre",
    "introduction": (
        "Answers about readings, your wallet, bookings and your account. Can't find what you "
        "need? Write to support and a real person will reply within one working day."
    ),
}

SHOP_INDEX = {
    "slug": "shop",
    "title": "Shop",
    "introduction": (
        "Tools for your own practice, chosen by our readers: decks, crystals, candles, and "
        "digital guides you can download straight away."
    ),
}


# --- standard pages ------------------------------------------------------------------------------

STANDARD_PAGES = [
    {
        "slug": "about",
        "title": "About SoulSeer",
        "introduction": (
            "SoulSeer is a quiet place to talk to a gifted reader, by the minute, with the price "
            "in front of you the whole time."
        ),
        "body": [
            paragraph(
                "We started SoulSeer because booking a psychic reading online had become "
                "exhausting: flashing banners, hidden rates, and a balance that seemed to vanish "
                "faster than the clock. We wanted the opposite. A calm site where you can see who "
                "a reader is, what they charge and what other clients thought, and then simply "
                "talk."
            ),
            heading("What we believe"),
            bullets(
                "<b>Prices first.</b> Every rate is shown per minute before a reading starts, and "
                "your balance stays visible while you talk.",
                "<b>Readers are people, not products.</b> Readers set their own rates and "
                "schedules and keep 70% of every paid minute.",
                "<b>Reviews you can trust.</b> Only clients who paid for a reading can leave a "
                "review, and we never delete honest criticism.",
                "<b>Your privacy matters.</b> Readings are private between you and your reader. "
                "We never sell your data.",
            ),
            heading("How readers join"),
            paragraph(
                "Readers apply with a short application that our staff review before a profile "
                "goes live. Every reader agrees to our standards: no medical, legal or financial "
                "advice, no fear tactics, no curses to lift for a fee."
            ),
            heading("Who we are"),
            paragraph(
                "SoulSeer is a small, independent team of developers, support staff and "
                "practising readers. We answer support messages ourselves, usually within a "
                "working day."
            ),
            callout(
                "For entertainment and reflection",
                "A reading can offer perspective, comfort and a fresh way to look at a question. "
                "It is not a substitute for professional medical, legal, financial or "
                "psychological advice.",
            ),
        ],
    },
    {
        "slug": "terms",
        "title": "Terms of service",
        "introduction": (
            "The rules for using SoulSeer, written to be read. Last updated 1 November 2026."
        ),
        "body": [
            heading("1. Who can use SoulSeer"),
            paragraph(
                "You must be at least 18 years old and able to enter a binding contract to create "
                "an account. One person may hold one client account. You are responsible for "
                "keeping your login details safe and for everything done with your account."
            ),
            heading("2. Readings"),
            paragraph(
                "Readers are independent practitioners, not employees of SoulSeer. Readings are "
                "offered for entertainment, reflection and personal insight. They are not medical, "
                "legal, financial or psychological advice, and no reader may promise a particular "
                "outcome. Please do not make decisions about your health, money or safety on the "
                "strength of a reading alone."
            ),
            heading("3. Prices, wallet and billing"),
            paragraph(
                "Readers set a per-minute rate for each channel (chat, voice and video); the rate "
                "in force when a reading starts applies to the whole reading. Readings are paid "
                "from your SoulSeer wallet, which you top up by card. Minutes are charged as they "
                "begin. If your balance cannot cover the next minute, the reading ends "
                "automatically; you are warned before that happens. Your first 3 minutes with "
                "each reader you have not read with before are free."
            ),
            paragraph(
                "Wallet funds are not a bank deposit, earn no interest and can only be used on "
                "SoulSeer. Unused funds from your most recent top-ups can be refunded to the card "
                "you used within 90 days of the top-up, on request."
            ),
            heading("4. Bookings and message readings"),
            paragraph(
                "When you book a reading ahead or send a paid message question, the price is held "
                "in your wallet. It is charged when the reading takes place or the reader replies, "
                "and released back to your wallet if the reader cancels or does not reply in time."
            ),
            heading("5. Refunds"),
            paragraph(
                "If a reading fails for technical reasons, or a reader clearly did not provide the "
                "service described, contact support within 72 hours and we will review the session "
                "and credit your wallet where appropriate. Dissatisfaction with what a reading "
                "predicted is not, on its own, grounds for a refund."
            ),
            heading("6. Conduct"),
            paragraph(
                "Be respectful. Harassment, threats, hate speech, sharing contact details to take "
                "readings off the platform, and requests for anything illegal are not allowed, by "
                "clients or readers. We may suspend accounts that break these rules."
            ),
            heading("7. Shop orders"),
            paragraph(
                "Digital products are available to download as soon as payment succeeds and are "
                "for your personal use. Physical items can be returned unused within 30 days; "
                "return postage is paid by you unless the item arrived damaged."
            ),
            heading("8. Changes and contact"),
            paragraph(
                "We may update these terms; we will tell you by email at least 14 days before a "
                "material change takes effect. Questions about these terms can be sent to our "
                "support team through the help centre."
            ),
        ],
    },
    {
        "slug": "privacy",
        "title": "Privacy policy",
        "introduction": (
            "What we collect, why, and what you can ask us to do with it. Last updated "
            "1 November 2026."
        ),
        "body": [
            heading("What we collect"),
            bullets(
                "<b>Account details:</b> your name, email address, time zone and, if you sign in "
                "with a social account, the basic profile that provider shares.",
                "<b>Readings:</b> who you read with, when, for how long and what it cost. Chat "
                "transcripts are stored so you can re-read them and so we can investigate "
                "complaints. Voice and video readings are not recorded.",
                "<b>Payments:</b> your wallet history. Card details are handled by our payment "
                "provider, Stripe; we never see or store full card numbers.",
                "<b>Technical data:</b> IP address, browser and device type, kept in logs for "
                "security and to fix problems.",
            ),
            heading("Why we use it"),
            paragraph(
                "To run your account and readings, take payments and pay readers, keep the "
                "service safe, answer support requests, and, only if you opt in, send you news "
                "and offers. We do not sell your personal data and we do not use your readings "
                "to target advertising."
            ),
            heading("Who can see it"),
            paragraph(
                "Your reader sees your display name and what you share in the reading. A small "
                "number of support staff can see reading records when investigating a complaint "
                "or a safety report. Service providers (hosting, email, payments) process data on "
                "our behalf under contract."
            ),
            heading("How long we keep it"),
            paragraph(
                "Chat transcripts are kept for 12 months after the reading. Payment records are "
                "kept for as long as tax and accounting law requires, usually seven years. When "
                "you delete your account we remove your profile and transcripts within 30 days."
            ),
            heading("Your rights"),
            paragraph(
                "You can download a copy of your data and delete your account from your profile "
                "page at any time. You can also ask us to correct your data or stop using it for "
                "a particular purpose, and you may complain to your local data protection "
                "authority."
            ),
            callout(
                "Cookies",
                "We use only the cookies needed to keep you signed in, protect forms and remember "
                "your settings. We do not use advertising cookies.",
            ),
        ],
    },
]


# --- help centre ---------------------------------------------------------------------------------

HELP_PAGES = [
    {
        "slug": "how-readings-work",
        "title": "How readings work",
        "topic": "getting-started",
        "summary": "From choosing a reader to ending the session: what happens in a reading.",
        "body": [
            paragraph(
                "Every reader's profile shows their specialties, languages, reviews and a "
                "per-minute price for chat, voice and video. A green <b>Online</b> label means "
                "they can start now; <b>Busy</b> means they are in a reading; <b>Offline</b> "
                "readers can be booked ahead or sent a message question."
            ),
            heading("Starting a reading"),
            bullets(
                "Choose chat, voice or video on the reader's profile.",
                "Your request goes to the reader, who has a short time to accept.",
                "Once they accept, the reading room opens and the timer starts.",
                "You can end the reading at any moment with the End button.",
            ),
            heading("If the connection drops"),
            paragraph(
                "You have a 5-minute grace period to reconnect, and nothing is billed while you "
                "are disconnected. If neither of you returns within that time, the reading ends "
                "and you only pay for the minutes you had."
            ),
            faq(
                (
                    "What happens if the reader does not answer?",
                    "The request expires after a short wait and nothing is charged. You can try "
                    "another reader or send a message question instead.",
                ),
                (
                    "Can I switch from chat to voice during a reading?",
                    "Not yet. End the chat and start a voice reading; the per-minute rate for "
                    "voice applies to the new reading.",
                ),
                (
                    "Can I read my chat again later?",
                    "Yes. Chat transcripts are kept in your account for 12 months.",
                ),
            ),
        ],
    },
    {
        "slug": "billing-per-minute",
        "title": "How per-minute billing works",
        "topic": "payments",
        "summary": "You pay for each minute as it starts, at the rate shown before you began.",
        "body": [
            paragraph(
                "Readings are billed by the minute from your wallet. Each minute is charged when "
                "it begins, at the rate shown on the reader's profile when you started. The rate "
                "cannot change during a reading."
            ),
            paragraph(
                "While you talk, the reading room shows a timer and your remaining balance. When "
                "less than two minutes of balance are left, both you and your reader see a "
                "warning, and you can top up without leaving the reading. If the next minute "
                "cannot be paid, the reading ends automatically; you are never charged for time "
                "you could not afford."
            ),
            callout(
                "Example",
                "A reader charges $3.99/min for chat. You talk for 12 minutes and it is your "
                "first reading with them: 3 minutes are free, so you pay 9 × $3.99 = $35.91.",
            ),
            faq(
                (
                    "Is a started minute charged in full?",
                    "Yes. Minutes are charged as they begin, so ending a reading 10 seconds into "
                    "a minute still counts that minute.",
                ),
                (
                    "Where can I see what I paid?",
                    "Your wallet page lists every reading, top-up and refund with its date and "
                    "amount.",
                ),
            ),
        ],
    },
    {
        "slug": "free-intro-minutes",
        "title": "Free intro minutes",
        "topic": "getting-started",
        "summary": "Your first 3 minutes with each new reader are free.",
        "body": [
            paragraph(
                "The first 3 minutes of your first reading with any reader are free. It is our "
                "way of letting you find a reader whose style suits you without paying to find "
                "out. The offer applies once per reader, to chat, voice and video alike."
            ),
            paragraph(
                "You still need a little balance in your wallet to start, because billing "
                "begins automatically with minute four. If you end the reading within the first "
                "three minutes, you pay nothing at all."
            ),
            faq(
                (
                    "Do free minutes apply to booked readings?",
                    "Yes, if it is your first reading with that reader.",
                ),
                (
                    "Can I use free minutes with the same reader twice?",
                    "No. They apply to your first reading with each reader only.",
                ),
            ),
        ],
    },
    {
        "slug": "topping-up-your-wallet",
        "title": "Topping up your wallet",
        "topic": "payments",
        "summary": "Add funds by card in a few seconds; save a card for one-click top-ups.",
        "body": [
            paragraph(
                "Your wallet holds the funds you use for readings, bookings and message "
                "questions. Open <b>Wallet</b> from the top of any page, choose an amount and pay "
                "by card. Your balance updates as soon as the payment is confirmed, usually "
                "within a few seconds."
            ),
            paragraph(
                "You can save a card for one-click top-ups, including in the middle of a "
                "reading. Card details are stored by our payment provider, Stripe, never on "
                "SoulSeer's servers."
            ),
            heading("Reserved funds"),
            paragraph(
                "When you book a reading or send a message question, its price is reserved in "
                "your wallet. Reserved funds are shown next to your balance and are released "
                "automatically if the reading does not happen."
            ),
            faq(
                (
                    "My card was charged but my balance did not change.",
                    "Balances update when the payment provider confirms the payment. If it has "
                    "not appeared after 10 minutes, contact support with the time and amount.",
                ),
                (
                    "Is there a minimum top-up?",
                    "Yes, $10. There is no fee for topping up.",
                ),
            ),
        ],
    },
    {
        "slug": "refunds-and-satisfaction-guarantee",
        "title": "Refunds and our satisfaction guarantee",
        "topic": "payments",
        "summary": "If a reading goes wrong, tell us within 72 hours and we will put it right.",
        "body": [
            paragraph(
                "We want every reading to be worth your time. If something went wrong, write to "
                "support from the reading's page in your history within 72 hours. A person on our "
                "team reviews the session, including the chat transcript where there is one."
            ),
            heading("When we credit your wallet"),
            bullets(
                "The connection failed and you were charged for minutes you could not use.",
                "The reader was clearly distracted, unresponsive or rude.",
                "The reader offered something they do not list, such as medical advice, or "
                "pressured you to buy extra services.",
            ),
            paragraph(
                "Credits go back to your wallet. Unused wallet funds from recent top-ups can be "
                "refunded to your card on request within 90 days."
            ),
            faq(
                (
                    "The reading was accurate but not what I wanted to hear. Can I get a refund?",
                    "We understand, but we cannot refund a reading for its content alone. You can "
                    "leave an honest review to help other clients.",
                ),
                (
                    "How long does a card refund take?",
                    "We send it the same day; your bank usually shows it within 5 to 10 working "
                    "days.",
                ),
            ),
        ],
    },
    {
        "slug": "booking-a-reading-ahead",
        "title": "Booking a reading ahead",
        "topic": "readings",
        "summary": "Reserve a time with a reader; funds are held, not charged, until you meet.",
        "body": [
            paragraph(
                "Many readers publish open slots in their calendar. Pick a slot on the reader's "
                "profile, choose chat, voice or video and confirm. The price of the slot is held "
                "in your wallet and charged only when the reading starts."
            ),
            paragraph(
                "We send a reminder an hour before. At the booked time, open the reading from "
                "your Bookings page; the reader joins you in the reading room."
            ),
            faq(
                (
                    "Can I cancel a booking?",
                    "Yes, free of charge up to 24 hours before the start. After that the reader "
                    "may keep the booking fee, because they have reserved the time for you.",
                ),
                (
                    "What if the reader does not show up?",
                    "The hold is released back to your wallet in full, and the reader's record "
                    "is reviewed by our team.",
                ),
                (
                    "Which time zone are slots shown in?",
                    "Your own, as set in your profile.",
                ),
            ),
        ],
    },
    {
        "slug": "message-readings",
        "title": "Message readings",
        "topic": "readings",
        "summary": "Ask a question in writing and get a considered answer, even when offline.",
        "body": [
            paragraph(
                "Some readers answer questions in writing. Their page then shows “Send a "
                "message reading” with each reading they offer: its price and the time within "
                "which they promise to reply (for example 24 hours, or a rush reading in 4 hours "
                "at a higher price)."
            ),
            heading("How it works"),
            bullets(
                "Choose a reading, write your question (up to 5,000 characters) and, if you "
                "like, attach up to 3 images, audio recordings or PDF files of up to 10 MB each.",
                "The price is reserved in your wallet when you send, not charged. If your "
                "balance is too low you are asked to top up first, and nothing is reserved.",
                "The reply time starts when your question reaches the reader. When they reply "
                "in time, the reservation pays for the reading and the answer appears in your "
                "inbox (Inbox in the header); you are told in the app and by email.",
                "If the reader does not reply within the promised time, everything reserved "
                "goes back to your wallet automatically and you are told.",
                "After a reply you can send free follow-up messages in the same conversation "
                "for 7 days. After that, ask for another paid reading there.",
            ),
            heading("Contact details"),
            paragraph(
                "Messages that share contact details (email addresses, phone numbers, links or "
                "names on other apps) are held until our team checks them; only you see a held "
                "message meanwhile. A held question's reply time starts once it is cleared, and "
                "if our team removes it, its price goes back to your wallet."
            ),
            paragraph(
                "You can block someone from the conversation's menu: neither of you can then "
                "message, book or start a reading with the other, and anything reserved between "
                "you is released."
            ),
        ],
    },
    {
        "slug": "becoming-a-reader",
        "title": "Becoming a SoulSeer reader",
        "topic": "readers",
        "summary": "How to apply, how vetting works and how you are paid.",
        "body": [
            paragraph(
                "We welcome experienced readers of every tradition who treat clients with "
                "honesty and care. Apply from your account page with a short description of your "
                "practice and experience."
            ),
            heading("Vetting"),
            bullets(
                "An identity check through our payment partner.",
                "Two test readings with members of our team.",
                "A conversation about our code of ethics.",
            ),
            heading("Rates and payouts"),
            paragraph(
                "You set your own per-minute rates for chat, voice and video and keep 70% of "
                "every paid minute. Earnings are paid to your bank account through Stripe; you "
                "can request a payout once your balance reaches $50."
            ),
            faq(
                (
                    "Can I set my own hours?",
                    "Yes. Go online whenever you like, and publish bookable slots for the times "
                    "you want to plan ahead.",
                ),
                (
                    "Who pays for the free intro minutes?",
                    "SoulSeer does. You are paid your share for every minute after the free ones.",
                ),
                (
                    "Can I edit my profile?",
                    "Yes. Changes to your page are reviewed by our team before they go live.",
                ),
            ),
        ],
    },
    {
        "slug": "privacy-and-safety",
        "title": "Privacy and safety",
        "topic": "account",
        "summary": "Keeping your readings private and staying safe on SoulSeer.",
        "body": [
            paragraph(
                "Readers see your display name, not your email address or payment details. "
                "Readings stay on SoulSeer: a reader should never ask for your phone number, "
                "social media or payment outside the site. If one does, please report it."
            ),
            paragraph(
                "No genuine reader will tell you that you are cursed, that something terrible "
                "will happen unless you pay, or that you should stop medical treatment. Use the "
                "Report button in the reading room or on the reader's profile; our team reviews "
                "every report."
            ),
            callout(
                "If you are in crisis",
                "A reading is not the right place when you feel unsafe. Please contact your "
                "local emergency number or a crisis line straight away.",
            ),
            faq(
                (
                    "Can I download or delete my data?",
                    "Yes, from your profile page at any time. See our privacy policy for details.",
                ),
                (
                    "Are voice and video readings recorded?",
                    "No. Only chat transcripts are stored, for 12 months.",
                ),
            ),
        ],
    },
    {
        "slug": "creating-your-account",
        "title": "Creating your account",
        "topic": "account",
        "summary": "Sign up with email or a social account and set your display name.",
        "body": [
            paragraph(
                "Sign up with your email address or a supported social login. Choose a display "
                "name: it is the only name readers see, so it does not need to be your real one."
            ),
            paragraph(
                "Set your time zone in your profile so bookings and reminders show the right "
                "times. You can change your display name, time zone and email preferences "
                "whenever you like."
            ),
        ],
    },
]


# --- shop ----------------------------------------------------------------------------------------

PRODUCTS = [
    {
        "slug": "full-moon-guided-meditation",
        "title": "Full Moon Guided Meditation",
        "kind": "digital",
        "price_cents": 900,
        "motif": "waves",
        "summary": (
            "A 25-minute audio meditation for release and renewal, recorded by Kai Nakamura."
        ),
        "description": [
            paragraph(
                "Settle in somewhere quiet for twenty-five minutes. Kai guides you through a "
                "body scan, a breathing pattern for the full moon and a gentle visualisation for "
                "letting go of what you no longer need."
            ),
            bullets(
                "MP3, 25 minutes, 48 MB",
                "Includes a shorter 10-minute version for busy evenings",
                "Yours to keep: download it from your order up to five times",
            ),
        ],
    },
    {
        "slug": "tarot-for-beginners-ebook",
        "title": "Tarot for Beginners (e-book)",
        "kind": "digital",
        "price_cents": 1400,
        "motif": "book",
        "summary": "All 78 cards explained in plain language, with five spreads to start with.",
        "description": [
            paragraph(
                "Written by Aurora Vale from fourteen years of reading for clients, this guide "
                "walks you through every card of the Rider-Waite tradition: upright and reversed "
                "meanings, the questions each card asks, and how cards talk to each other in a "
                "spread."
            ),
            bullets(
                "PDF and EPUB, 164 pages",
                "Five beginner spreads with worked examples",
                "A one-page cheat sheet to print",
            ),
        ],
    },
    {
        "slug": "birth-chart-workbook",
        "title": "Birth Chart Workbook",
        "kind": "digital",
        "price_cents": 2900,
        "motif": "wheel",
        "summary": "A guided workbook for reading your own natal chart, planet by planet.",
        "description": [
            paragraph(
                "Your sun, moon and rising signs are only the beginning. This workbook walks "
                "you through every planet by sign and house and your major aspects, with "
                "space to write down what you find in your own chart."
            ),
            paragraph(
                "A PDF: download it from your order as soon as you have paid. Any free chart "
                "calculator gives you the positions to work with."
            ),
        ],
    },
    {
        "slug": "moon-calendar-2027",
        "title": "Moon Calendar 2027 (PDF)",
        "kind": "digital",
        "price_cents": 600,
        "motif": "moons",
        "summary": "Every new and full moon of 2027 with intentions, rituals and journal pages.",
        "description": [
            paragraph(
                "A printable calendar for the year ahead: each lunar phase with its sign, a "
                "suggested intention and a simple ritual, plus journal pages for your own notes. "
                "Times are given in UTC with a conversion table for major time zones."
            ),
            bullets("PDF, A4 and US Letter", "26 pages, printer friendly"),
        ],
    },
    {
        "slug": "love-spreads-workbook",
        "title": "Love & Relationship Spreads Workbook",
        "kind": "digital",
        "price_cents": 800,
        "motif": "cards",
        "summary": "Twelve tarot spreads for attraction, commitment, healing and letting go.",
        "description": [
            paragraph(
                "Twelve spreads designed for the questions clients bring most often, from "
                "\u201cIs this person right for me?\u201d to \u201cHow do I move on?\u201d "
                "Each spread "
                "comes with a worked sample reading and prompts for journaling."
            ),
        ],
    },
    {
        "slug": "midnight-tarot-deck",
        "title": "Midnight Tarot Deck",
        "kind": "physical",
        "price_cents": 3400,
        "stock": 48,
        "motif": "cards",
        "summary": "A 78-card deck in deep indigo and gold foil, with a 90-page guidebook.",
        "description": [
            paragraph(
                "Our own deck: classic symbolism redrawn under a night sky, printed on matte "
                "350 gsm card stock with gilded edges. It shuffles easily and holds up to years "
                "of daily readings."
            ),
            bullets(
                "78 cards, 70 × 120 mm",
                "Guidebook with upright and reversed meanings",
                "Rigid magnetic box",
            ),
        ],
    },
    {
        "slug": "seven-chakra-crystal-set",
        "title": "Seven Chakra Crystal Set",
        "kind": "physical",
        "price_cents": 2800,
        "stock": 60,
        "motif": "crystals",
        "summary": "Seven tumbled stones, one for each chakra, in a cotton pouch with a guide.",
        "description": [
            paragraph(
                "Red jasper, carnelian, citrine, green aventurine, sodalite, amethyst and clear "
                "quartz, each around 2–3 cm, hand-selected and ethically sourced. The included "
                "card explains each stone's traditional associations and a simple balancing "
                "practice."
            ),
        ],
    },
    {
        "slug": "moonlight-candle-trio",
        "title": "Moonlight Soy Candle Trio",
        "kind": "physical",
        "price_cents": 3200,
        "stock": 35,
        "motif": "candles",
        "summary": "Three hand-poured soy candles: lavender, sandalwood and white sage.",
        "description": [
            paragraph(
                "Hand-poured in small batches with natural soy wax and cotton wicks. Each candle "
                "burns for about 25 hours. Light one to mark the start of a reading or a quiet "
                "evening ritual."
            ),
            callout(
                "Safety",
                "Never leave a burning candle unattended, and keep it away from pets and children.",
            ),
        ],
    },
    {
        "slug": "amethyst-cluster",
        "title": "Amethyst Cluster",
        "kind": "physical",
        "price_cents": 4500,
        "stock": 12,
        "motif": "crystals",
        "summary": (
            "A natural Uruguayan amethyst cluster, roughly 8 cm across, for your altar or desk."
        ),
        "description": [
            paragraph(
                "Deep violet points on a natural base, each one unique. Amethyst is traditionally "
                "associated with calm, intuition and restful sleep. Sizes and shapes vary "
                "slightly; the one you receive will be between 7 and 9 cm."
            ),
        ],
    },
    {
        "slug": "crystal-pendulum-with-chart",
        "title": "Crystal Pendulum with Chart",
        "kind": "physical",
        "price_cents": 1900,
        "stock": 40,
        "motif": "pendulum",
        "summary": "A clear quartz pendulum on a fine chain, with a printed yes/no chart.",
        "description": [
            paragraph(
                "A faceted clear quartz point on a 20 cm silver-tone chain, with a folding "
                "linen-paper chart for yes, no and maybe answers. Comes with a short guide to "
                "cleansing your pendulum and asking clear questions."
            ),
        ],
    },
    {
        "slug": "soulseer-gift-card",
        "title": "SoulSeer Gift Card, $25",
        "kind": "gift_card",
        "price_cents": 2500,
        "motif": "spark",
        "summary": "Wallet credit for someone you care about, sent by email with a code.",
        "description": [
            paragraph(
                "Choose who it is for at checkout: we email them a code as soon as you pay. "
                "Redeemed on their wallet page, it adds $25 to their balance, ready for any live "
                "or booked reading and for the shop. Each code works once."
            ),
        ],
    },
]


# The community's boards (staff content; the demo writes no posts: every post is someone's).
FORUM_BOARDS = [
    {
        "slug": "tarot-and-cards",
        "name": "Tarot and oracle cards",
        "description": "Spreads, meanings and the card that keeps turning up.",
    },
    {
        "slug": "dreams-and-signs",
        "name": "Dreams and signs",
        "description": "Dreams you can't shake and signs you keep seeing.",
    },
    {
        "slug": "using-soulseer",
        "name": "Using SoulSeer",
        "description": "Questions about readings, the wallet, bookings and the shop.",
    },
]
