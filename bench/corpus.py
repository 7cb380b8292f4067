"""Seeded generator of varied, realistic contact texts for the triage benchmarks.

Texts are composed from templates and vocabularies covering every kind of matter a control room
hears: emergencies (violence, weapons, fires, medical, roads, crime in progress), crimes reported
after the event, anti-social behaviour, matters for other agencies, and requests the police do
not handle. Time phrases, denials ("nobody is hurt"), vulnerability markers, openers, closers and
descriptive detail vary each text; a few use curly quotes, dashes and accented names, and about
one in two hundred contains a letter whose lower-case form is longer (Turkish "İ"), so both
of the engine's matching paths are exercised. The same seed always gives the same texts.
"""

from __future__ import annotations

import random
import re

# fmt: off
# Slot name -> choices. A choice may itself contain slots; they are filled in turn.
VOCAB: dict[str, tuple[str, ...]] = {
    "who": ("a man", "a lad on a bike", "a woman", "a drunk bloke", "a bloke in a grey hoodie",
            "my neighbour", "some guy", "a tall man", "a man in a black puffer jacket"),
    "few": ("two", "three", "four", "five", "six", "a dozen", "ten"),
    "digit": ("1", "2", "3", "4", "5", "6", "7", "8", "9"),
    "victim": ("a woman", "an old man", "my friend", "a lad", "the shopkeeper", "someone",
               "a delivery driver", "my brother"),
    "partner": ("husband", "boyfriend", "partner", "ex", "ex-husband", "girlfriend"),
    "relative": ("dad", "mum", "husband", "wife", "grandad", "nan", "son", "partner"),
    "weapon": ("a knife", "a machete", "a baseball bat", "a gun", "a hammer", "a broken bottle",
               "a screwdriver", "an axe"),
    "place": ("on the high street", "outside the Co-op on {street}", "in the car park behind Tesco",
              "at the bus stop on {street}", "near the {pub}", "by the canal towpath",
              "outside number {num} {street}", "in the park off {street}", "outside the café on "
              "{street}", "in the precinct", "behind the leisure centre", "on the estate",
              "outside the Turkish barber's on {street}", "near the station"),
    "street": ("Station Road", "Mill Lane", "Fore Street", "Union Street", "Queen Street",
               "Church Road", "Alexandra Road", "Market Square", "Wolborough Street",
               "Chapel Hill", "Victoria Parade", "Pennsylvania Road"),
    "pub": ("Royal Oak", "Red Lion", "Ship Inn", "Kings Arms", "White Hart", "Wetherspoons"),
    "road": ("A38", "A30 westbound", "A380", "M5 southbound", "Exeter bypass", "B3212",
             "A386 near Tavistock", "A39"),
    "building": ("house", "flat", "garage", "shed", "shop", "barn"),
    "item": ("bike", "phone", "wallet", "handbag", "laptop", "car", "catalytic converter",
             "parcel", "moped", "tools"),
    "name": ("Dave", "Sarah", "Zoë", "Siobhán", "José", "Chloé", "Mohammed", "Aoife", "Renée",
             "Kerry", "Tom", "Priya", "Gary", "Noël"),
    "age": ("3", "4", "6", "8", "11", "13", "15", "16"),
    "num": ("2", "7", "14", "23", "31", "58", "102", "9a"),
    "past": ("yesterday", "last night", "a few hours ago", "two weeks ago", "the other day",
             "over the weekend", "earlier today", "on Saturday", "last month", "three days ago"),
    "now": ("right now", "just now", "at the moment", "as we speak", "", "", "",
            "and he's still there", "and it's still going on"),
    "habit": ("every night", "all the time", "for months", "every weekend", "again",
              "constantly", "most nights", "", "and it keeps happening"),
    "town": ("town", "Plymouth", "Exeter", "Torquay", "Newton Abbot", "Truro"),
    "shop": ("Tesco", "the chip shop", "Greggs", "the chemist", "the tip", "Boots"),
    "amount": ("40", "250", "1,200", "3,000", "85", "600"),
    "landmark": ("library", "church", "Spar", "roundabout", "primary school", "football ground"),
    "reg": ("WV67", "WA19", "DK21", "WF70", "EX12"),
}

# Kind -> (weight, channel weights, when-slot pool, templates).
NOW_CH = {"999": 70, "emergency_sms": 6, "bsl_999": 4, "relay_uk_18000": 4,
          "silent_solution_55": 4, "landline_open_line": 4, "live_chat": 4, "101": 4}
REPORT_CH = {"101": 45, "online_report": 25, "live_chat": 15, "999": 12, "relay_uk_18000": 3}
OTHER_CH = {"101": 40, "999": 25, "online_report": 15, "live_chat": 20}
SILLY_CH = {"999": 50, "101": 35, "live_chat": 15}

KINDS: dict[str, tuple[int, dict[str, int], str, tuple[str, ...]]] = {
    "violence": (5, NOW_CH, "now", (
        "{who} is attacking {victim} {place} {when}.",
        "There's a fight outside the {pub}, about {few} men fighting and one is on the floor.",
        "My {partner} is hitting me, he's in the kitchen {when}.",
        "{who} just punched {victim} {place} and is kicking him on the ground.",
        "There's a massive brawl {place}, bottles being thrown {when}.")),
    "weapon": (3, NOW_CH, "now", (
        "{who} has got {weapon} and is threatening people {place} {when}.",
        "I can see a man waving {weapon} about {place}.",
        "Someone's been stabbed {place}, there's a lot of blood.",
        "I heard gunshots {place} a minute ago.")),
    "fire": (2, NOW_CH, "now", (
        "The {building} next door is on fire, I can see flames coming out of the roof.",
        "There's smoke pouring out of a flat {place} {when}.",
        "A car is on fire {place} {when}.", "Kids have set fire to the bins {place}.")),
    "medical": (3, NOW_CH, "now", (
        "My {relative} has collapsed and isn't breathing.",
        "There's a man unconscious {place}, he's not responding.",
        "My {relative} is having a seizure and his lips are turning blue.",
        "{name} is choking and can't breathe, please send an ambulance.")),
    "road": (3, NOW_CH, "now", (
        "There's been a serious crash on the {road}, a car has overturned and someone is trapped.",
        "A lorry is driving the wrong way down the {road} {when}.",
        "There's a drunk driver swerving all over the road on the {road} {when}.",
        "There's a fallen tree across the road on the {road}, it's completely blocked.",
        "Sheep are loose on the road on the {road}.")),
    "crime_now": (4, NOW_CH, "now", (
        "Someone is breaking into my neighbour's house {when}.",
        "There are two men trying car door handles {place} {when}.",
        "I've just disturbed a burglar in my kitchen, he's still in the garden.",
        "A man has just snatched a woman's handbag {place}.",
        "My {age} year old son has gone missing {place}, he was next to me a minute ago.",
        "A man is standing on the edge of the bridge {place} threatening to jump.",
        "We've detained a shoplifter at {shop} and he's getting aggressive.")),
    "after": (14, REPORT_CH, "past", (
        "My {item} was stolen from outside work {when}.",
        "Someone broke into my shed {when} and took my tools.",
        "My car was keyed and the wing mirror smashed {when}.",
        "I'd like to report that my wallet was pickpocketed {place} {when}.",
        "I was assaulted outside a nightclub {when}, there's CCTV.",
        "Someone hit my parked car {when} and drove off without leaving details.",
        "My ex keeps sending me threatening messages.",
        "I've got information about drug dealing from a flat on {street}.",
        "I want an update on my case, I've got the crime reference number here.",
        "I haven't seen my elderly neighbour for a week and her post is piling up.",
        "My daughter is {age}, she hasn't come home and isn't answering her phone.",
        "Someone was racially abused on the bus {when}.")),
    "asb": (9, REPORT_CH, "habit", (
        "Youths keep riding motorbikes on the field {when}.",
        "A group of teenagers are hanging around {place} drinking and shouting {when}.",
        "Kids keep knocking on my door and running off {when}.",
        "People are setting off fireworks in the park {when}.",
        "Nuisance bikes racing up and down {street} {when}.",
        "There's people smoking weed in the stairwell {when}.")),
    "other": (22, OTHER_CH, "habit", (
        "My neighbours are playing loud music {when}.",
        "There's a dog barking next door {when} and I can't sleep.",
        "There's a massive pothole on {street}, I nearly came off my bike.",
        "The traffic lights at the top of {street} are not working.",
        "I can smell gas in the street outside number {num}.",
        "We've had a power cut on {street} since teatime.",
        "There's a burst water main on {street}, water is pouring down the road.",
        "There's an injured fox in my garden.",
        "A swan with a broken wing is on the canal towpath.",
        "I've had a bad headache for three days and need a doctor.",
        "My son has a high temperature and a rash, what should I do?",
        "I'm feeling really low and I just need someone to talk to.",
        "I think I've been scammed on a website, they took £{amount}.",
        "Someone has cloned my bank card and spent £{amount}.",
        "I've lost my wallet somewhere in {town}.",
        "The shop sold me a faulty washing machine and won't take it back.",
        "My landlord won't fix the damp and mould in the bathroom.",
        "Someone has dumped a mattress and a fridge {place}.",
        "There's graffiti all over the bus shelter on {street}.",
        "There's a homeless man sleeping rough in a doorway {place}.",
        "Someone keeps parking on the pavement across my dropped kerb.")),
    "silly": (14, SILLY_CH, "none", (
        "Can you give me a lift home from {town}? I've missed the last bus.",
        "What time does {shop} open on Sundays?",
        "Can the police come and get a spider out of my bath?",
        "What's the weather going to be like tomorrow?",
        "I've locked myself out of my house, can you send someone round?",
        "My takeaway was cold and the chip shop won't give me a refund.",
        "Someone on EastEnders just got stabbed, is that allowed on TV?",
        "I've run out of petrol on the {road}, can you bring me some?",
        "Can you tell my mum I'll be late home?",
        "A seagull nicked my chips {place}.",
        "Can you recommend the best place to get a sandwich round here?",
        "I'm bored, do you fancy a chat?",
        "How long do I need to defrost a turkey for?",
        "Can you tell me the bus times to {town}?")),
}

INCIDENTS = ("violence", "weapon", "fire", "medical", "road", "crime_now", "after", "asb")
DENIALS = ("Nobody is hurt.", "No one was injured.", "There's no weapon as far as I can see.",
           "They've gone now.", "It's not an emergency.", "I'm not in any danger.",
           "He's not seriously hurt, just a small cut.", "I'm okay.",
           "He didn't have a knife or anything.", "No rush, whenever you can.")
VULNERABLE = ("My {age} year old daughter is with me.", "She's elderly and has dementia.",
              "I'm really scared.", "He has mental health problems and has been sectioned before.",
              "I'm deaf so I'm using Relay UK.", "My mum uses a wheelchair.",
              "I'm shaking, please help.", "My nan is 87 and lives on her own.",
              "There's a baby in the house.")
OPENERS = ("", "", "", "", "Hello, ", "Hi, ", "Um, yeah, ", "Hello? ", "Good evening. ",
           "Hi there, I'm calling because ", "Sorry to bother you but ", "Police please. ")
CLOSERS = ("", "", "", "Please hurry.", "Thanks.", "Can someone call me back on this number?",
           "I don't know what to do.", "My number is 07700 900{digit}{digit}{digit}.", "Cheers.",
           "Thank you so much.")
DETAILS = (
    "He was wearing a dark hoodie, grey joggers and white trainers.",
    "She's about five foot six with long brown hair.",
    "The car was a silver Ford Focus, the registration started {reg}.",
    "I'm not sure of the exact address but it's near the {landmark}.",
    "My phone battery is on about ten percent.",
    "I've lived here for twelve years and never had any trouble like this.",
    "There's a camera on the corner by the {landmark}.",
    "I tried ringing earlier but couldn't get through.",
    "I think he lives in one of the flats on {street}.",
    "There were about {few} of them, all in dark clothes.",
    "I'm ringing from my friend's phone.",
    "The postcode is TQ12 {digit}AB, I think.",
    "It's the house with the blue door and the white van outside.",
    "Our neighbour {name} saw it as well.",
    "I can give a statement if you need one.",
    "It's quite dark because the lights along there are rubbish.",
    "They went off towards {street} in a hurry.",
    "I've got a photo of the van on my phone.",
    "My partner's at work so it's just me and the dog.",
    "I'm standing by the {landmark} so I can see everything.",
)
# Letters whose lower-case form is longer ("İ" -> "i̇") send a text down the engine's slower,
# case-insensitive matching path. Rare in British contact text; one contact in 200 has one.
FOLDING = ("My neighbour İbrahim saw it as well.", "It's next to the İstanbul Grill on {street}.")
FOLDING_SHARE = 0.005
HANDLER = ("Police, what's the address of the emergency?", "Can you tell me exactly what's "
           "happened?", "Is anyone injured?", "Can you describe him for me?",
           "Which way did they go?", "Are you somewhere safe?", "OK, stay on the line for me.",
           "What's your name and date of birth?", "Is there anything else you can tell me?",
           "And what time was this?", "Right, I'm just updating the log.")

# fmt: on

_SLOT = re.compile(r"\{(\w+)\}")
_CURLY = str.maketrans({"'": "’", '"': "”"})


def _fill(rng: random.Random, template: str, when: str = "") -> str:
    """``template`` with every slot filled from :data:`VOCAB` (``{when}`` from ``when``)."""
    for _ in range(3):
        template = _SLOT.sub(
            lambda m: when if m.group(1) == "when" else rng.choice(VOCAB[m.group(1)]), template
        )
    return re.sub(r" +([.,?])", r"\1", re.sub(r"  +", " ", template))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _when(rng: random.Random, pool: str) -> str:
    """A time phrase from the kind's usual pool, or one in five times from another."""
    if pool == "none" and rng.random() < 0.9:
        return ""
    if rng.random() < 0.2:
        pool = rng.choice(("now", "past", "habit"))
    return rng.choice(VOCAB.get(pool, ("",)))


def _sentence(rng: random.Random, kind: str) -> str:
    _, _, pool, templates = KINDS[kind]
    return _fill(rng, rng.choice(templates), _when(rng, pool))


def _typography(rng: random.Random, text: str) -> str:
    """Curly apostrophes and quotes, and spaced dashes, as phones and word processors type."""
    text = text.translate(_CURLY)
    return text.replace(", ", " — ", 1) if rng.random() < 0.5 else text


def contact(rng: random.Random, kind: str | None = None) -> tuple[str, str]:
    """One contact: (text, channel) for ``kind`` (chosen by weight when None)."""
    if kind is None:
        kind = rng.choices(list(KINDS), weights=[k[0] for k in KINDS.values()])[0]
    parts = [_sentence(rng, kind)]
    if rng.random() < 0.15:  # a second matter of another kind, as people ramble
        parts.append(_sentence(rng, rng.choice(list(KINDS))))
    if rng.random() < 0.18:
        parts.append(rng.choice(DENIALS))
    if rng.random() < 0.18:
        parts.append(_fill(rng, rng.choice(VULNERABLE)))
    if rng.random() < FOLDING_SHARE:
        parts.append(_fill(rng, rng.choice(FOLDING)))
    long_account = rng.random() < 0.08
    extra = rng.randint(3, 18) if long_account else rng.choice((0, 0, 0, 1, 1, 2))
    for detail in rng.sample(DETAILS, extra):
        parts.insert(rng.randint(1, len(parts)), _fill(rng, detail))
    parts.append(_fill(rng, rng.choice(CLOSERS)))
    opener = rng.choice(OPENERS)
    first = parts[0]
    if opener.endswith((", ", "because ", "but ")) and not first.startswith(("I ", "I'")):
        first = first[0].lower() + first[1:]
    text = (opener + " ".join([first, *parts[1:]])).strip()
    if rng.random() < 0.08:
        text = _typography(rng, text)
    return text, _weighted(rng, KINDS[kind][1])


def generate(n: int, seed: int = 1) -> list[tuple[str, str]]:
    """``n`` varied contacts as (text, channel) pairs; the same ``seed`` gives the same list."""
    rng = random.Random(seed)
    return [contact(rng) for _ in range(n)]


def long_text(size_bytes: int, seed: int = 1, *, folding: bool = False) -> str:
    """A realistic long account of about ``size_bytes`` UTF-8 bytes: a call transcript.

    The handler's questions alternate with the caller's answers, which mix the incident itself,
    description, denials and vulnerability, as a long call does. The text is cut at a word
    boundary at or just below ``size_bytes``. With ``folding``, one early answer names a person
    or place spelt with "İ", which sends the whole text down the slower matching path.
    """
    rng = random.Random(seed)
    kind = rng.choice(INCIDENTS)
    lines: list[str] = []
    if folding:
        lines.append(f"Caller: {_fill(rng, rng.choice(FOLDING))}")
    size = 0
    while size < size_bytes + 200:
        answer = [_fill(rng, rng.choice(DETAILS))]
        roll = rng.random()
        if roll < 0.35:
            answer.insert(0, _sentence(rng, kind))
        elif roll < 0.45:
            answer.append(rng.choice(DENIALS))
        elif roll < 0.55:
            answer.append(_fill(rng, rng.choice(VULNERABLE)))
        elif roll < 0.6:
            answer.append(_sentence(rng, rng.choice(list(KINDS))))
        for line in (f"Handler: {rng.choice(HANDLER)}", f"Caller: {' '.join(answer)}"):
            lines.append(line)
            size += len(line.encode()) + 1
    encoded = "\n".join(lines).encode()[:size_bytes]
    text = encoded.decode(errors="ignore")
    return text[: text.rfind(" ")] if " " in text else text
