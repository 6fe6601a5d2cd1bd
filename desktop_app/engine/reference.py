"""A small built-in reference text: pairs of sentences that say the same thing in other words.

Relevance is measured against the index's own chunks (relevance.py), but a folder of a few
files is too small to be a background: its "random chunk" is the very file being judged. For
such indexes the background is topped up with these sentences, whose topics are spread wide
(each pair about something else), and the pairs give the model's own scale of "says the same
thing": how far a paraphrase stands above unrelated sentences, measured with whatever model
is installed. Nothing here is tuned to a test collection.
"""

from __future__ import annotations

PARAPHRASES: tuple[tuple[str, str], ...] = (
    (
        "The train to the coast leaves every hour from platform four.",
        "Hourly services to the seaside depart from the fourth platform.",
    ),
    (
        "She planted tomatoes and beans in the back garden this spring.",
        "This spring her vegetable patch behind the house got tomato and bean plants.",
    ),
    (
        "The company reported higher profits thanks to strong sales abroad.",
        "Thanks to good export sales, the firm's earnings went up.",
    ),
    (
        "Drink plenty of water when you exercise in hot weather.",
        "Stay well hydrated if you work out while it is very warm.",
    ),
    (
        "The museum is closed on Mondays for maintenance.",
        "Every Monday the gallery shuts so repairs can be done.",
    ),
    (
        "He fixed the leaking tap in the kitchen with a new washer.",
        "A fresh rubber seal stopped the dripping kitchen faucet he repaired.",
    ),
    (
        "The orchestra performed a symphony by Beethoven last night.",
        "Yesterday evening the musicians played one of Beethoven's symphonies.",
    ),
    (
        "Our flight was delayed by three hours because of fog.",
        "Thick mist held the plane on the ground for three extra hours.",
    ),
    ("Wash your hands before preparing food.", "Clean your hands prior to cooking a meal."),
    (
        "The new law raises the minimum wage next year.",
        "From next year, legislation lifts the lowest legal pay.",
    ),
    (
        "The cat sleeps on the windowsill in the afternoon sun.",
        "In the afternoon our kitten naps in the sunny window.",
    ),
    (
        "Interest rates were cut to encourage borrowing.",
        "The central bank lowered rates so that people would take more loans.",
    ),
    (
        "The hikers reached the summit just before the storm.",
        "The walkers got to the mountain top shortly ahead of the bad weather.",
    ),
    (
        "Please send the signed contract back by Friday.",
        "Return the agreement with your signature before the end of the week.",
    ),
    (
        "The software update fixes a bug that made the app crash.",
        "A program patch repairs the fault that caused the application to fail.",
    ),
    (
        "Children learn languages faster than adults.",
        "Kids pick up new tongues more quickly than grown-ups do.",
    ),
    (
        "The river flooded the village after days of heavy rain.",
        "Following days of downpours, the stream overflowed into the small town.",
    ),
    (
        "The doctor prescribed antibiotics for the infection.",
        "The physician gave her a course of medicine against the bacterial illness.",
    ),
    (
        "The football match ended in a draw.",
        "Neither team won the soccer game; the score was level.",
    ),
    (
        "The bakery sells fresh bread every morning.",
        "Each morning the baker's shop offers newly baked loaves.",
    ),
    (
        "Solar panels on the roof produce most of the house's electricity.",
        "Most of the home's power comes from photovoltaic cells on top of it.",
    ),
    (
        "The author's first novel became a bestseller.",
        "The writer's debut book sold extremely well.",
    ),
    ("Remember to back up your files regularly.", "Make copies of your data on a regular basis."),
    (
        "The bridge is closed to traffic during the repairs.",
        "Vehicles cannot cross the bridge while the works are going on.",
    ),
    (
        "The hotel room had a view of the harbour.",
        "From our room at the inn we could see the port.",
    ),
    (
        "Regular exercise lowers the risk of heart disease.",
        "Working out often reduces the chance of cardiac illness.",
    ),
    (
        "The meeting has been moved to Thursday afternoon.",
        "We rescheduled the appointment to Thursday after lunch.",
    ),
    (
        "Bees are important for pollinating crops.",
        "Farm plants depend on bees to carry their pollen.",
    ),
    (
        "The ancient castle was built in the twelfth century.",
        "The old fortress dates from the eleven hundreds.",
    ),
    (
        "The store offers a refund within thirty days of purchase.",
        "You can get your money back from the shop for a month after buying.",
    ),
    (
        "The volcano erupted, sending ash high into the sky.",
        "Ash shot far up into the air when the mountain blew.",
    ),
    (
        "The teacher graded the exams over the weekend.",
        "During the weekend the instructor marked the tests.",
    ),
    (
        "Electric cars need fewer repairs than petrol cars.",
        "Battery vehicles require less maintenance than gasoline ones.",
    ),
    (
        "The recipe calls for two cups of flour and one egg.",
        "You need a pair of cups of flour and an egg for this dish.",
    ),
    (
        "The police arrested two suspects after the robbery.",
        "Following the theft, officers detained a couple of people.",
    ),
    (
        "The telescope revealed a distant galaxy.",
        "A faraway star system became visible through the observatory's instrument.",
    ),
    (
        "Our rent goes up by five percent in January.",
        "In January the landlord raises what we pay for the flat by five percent.",
    ),
    (
        "The printer is out of ink again.",
        "Once more the printing machine has run out of cartridge.",
    ),
    (
        "Whales migrate thousands of kilometres each year.",
        "Every year the great sea mammals travel vast distances.",
    ),
    (
        "The password must contain at least twelve characters.",
        "A login secret needs a minimum of twelve letters, digits or symbols.",
    ),
)
