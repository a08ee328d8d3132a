"""The town tables the synthetic networks are drawn around.

South Limburg (NL), West Flanders (BE), ~160 Dutch and Flemish cities and
towns for ``"national"``, and the Westhoek around Ieper, each town with an
approximate centre and population (the weight with which volunteers and
clients are drawn there). :mod:`matchcore.synth.generate` draws from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

REGIONS: Final = ("south-limburg", "west-flanders", "zorgnetwerken", "national", "westhoek")
"""Regions :func:`generate` knows.

``zorgnetwerken`` is South Limburg and West Flanders together; ``westhoek`` is
the area one local network covers (the nine municipalities around Ieper), for
small examples at a realistic density.
"""


# -- geography ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Town:
    """A town or city that volunteers and clients are drawn around.

    Attributes
    ----------
    name
        The usual name (Dutch spelling).
    country
        ``"NL"`` or ``"BE"``; sets the time zone and the language mix.
    lat, lon
        Approximate centre, in degrees.
    population
        Approximate inhabitants of the town or municipality; the weight with
        which points are drawn here.
    sea
        For coastal towns, the compass bearing (degrees) towards the sea:
        points that would scatter into the sea are mirrored inland.
    """

    name: str
    country: str
    lat: float
    lon: float
    population: int
    sea: float | None = None


def _nl(name: str, lat: float, lon: float, pop: int, sea: float | None = None) -> Town:
    return Town(name, "NL", lat, lon, pop, sea)


def _be(name: str, lat: float, lon: float, pop: int, sea: float | None = None) -> Town:
    return Town(name, "BE", lat, lon, pop, sea)


SOUTH_LIMBURG: Final[tuple[Town, ...]] = (
    _nl("Maastricht", 50.851, 5.691, 122_000),
    _nl("Heerlen", 50.888, 5.979, 67_000),
    _nl("Hoensbroek", 50.924, 5.928, 20_000),
    _nl("Sittard", 50.998, 5.869, 48_000),
    _nl("Geleen", 50.970, 5.828, 32_000),
    _nl("Born", 51.032, 5.809, 11_000),
    _nl("Kerkrade", 50.866, 6.063, 45_000),
    _nl("Brunssum", 50.947, 5.971, 27_000),
    _nl("Landgraaf", 50.908, 6.030, 37_000),
    _nl("Valkenburg", 50.865, 5.832, 16_000),
    _nl("Meerssen", 50.887, 5.751, 19_000),
    _nl("Eijsden", 50.778, 5.711, 12_000),
    _nl("Margraten", 50.821, 5.820, 13_000),
    _nl("Gulpen", 50.815, 5.889, 14_000),
    _nl("Vaals", 50.771, 6.018, 10_000),
    _nl("Simpelveld", 50.834, 5.982, 10_500),
    _nl("Voerendaal", 50.883, 5.929, 12_500),
    _nl("Nuth", 50.917, 5.886, 15_000),
    _nl("Schinnen", 50.943, 5.889, 13_000),
    _nl("Schinveld", 50.969, 5.980, 8_000),
    _nl("Stein", 50.969, 5.766, 25_000),
    _nl("Beek", 50.941, 5.796, 16_000),
    _nl("Susteren", 51.064, 5.858, 13_000),
    _nl("Echt", 51.104, 5.874, 19_000),
)

WEST_FLANDERS: Final[tuple[Town, ...]] = (
    _be("Brugge", 51.209, 3.225, 119_000),
    _be("Kortrijk", 50.828, 3.265, 78_000),
    _be("Oostende", 51.216, 2.927, 72_000, sea=325.0),
    _be("Roeselare", 50.946, 3.123, 64_000),
    _be("Ieper", 50.851, 2.885, 35_000),
    _be("Waregem", 50.889, 3.426, 38_000),
    _be("Menen", 50.797, 3.122, 34_000),
    _be("Poperinge", 50.855, 2.726, 20_000),
    _be("Diksmuide", 51.032, 2.864, 17_000),
    _be("Tielt", 50.999, 3.327, 21_000),
    _be("Torhout", 51.065, 3.101, 21_000),
    _be("Izegem", 50.914, 3.213, 28_000),
    _be("Wevelgem", 50.811, 3.186, 32_000),
    _be("Knokke-Heist", 51.346, 3.287, 33_000, sea=325.0),
    _be("Veurne", 51.072, 2.662, 12_000),
    _be("De Panne", 51.099, 2.592, 11_000, sea=320.0),
    _be("Koksijde", 51.116, 2.638, 22_000, sea=320.0),
    _be("Nieuwpoort", 51.130, 2.752, 12_000, sea=320.0),
    _be("Middelkerke", 51.185, 2.820, 20_000, sea=320.0),
    _be("Blankenberge", 51.313, 3.133, 20_000, sea=325.0),
    _be("Harelbeke", 50.855, 3.309, 28_000),
    _be("Kuurne", 50.851, 3.283, 13_500),
    _be("Zwevegem", 50.812, 3.338, 25_000),
    _be("Deerlijk", 50.853, 3.354, 12_000),
    _be("Avelgem", 50.776, 3.445, 10_000),
    _be("Wervik", 50.780, 3.040, 18_000),
    _be("Ledegem", 50.857, 3.123, 9_800),
    _be("Moorslede", 50.891, 3.061, 11_000),
    _be("Zonnebeke", 50.872, 2.987, 12_500),
    _be("Langemark-Poelkapelle", 50.912, 2.916, 8_000),
    _be("Heuvelland", 50.783, 2.828, 8_000),
    _be("Mesen", 50.764, 2.898, 1_000),
    _be("Vleteren", 50.922, 2.739, 3_700),
    _be("Lo-Reninge", 50.968, 2.752, 3_300),
    _be("Alveringem", 51.012, 2.710, 5_000),
    _be("Staden", 50.975, 3.015, 11_000),
    _be("Kortemark", 51.030, 3.042, 12_500),
    _be("Lichtervelde", 51.033, 3.141, 9_000),
    _be("Ardooie", 50.976, 3.200, 9_000),
    _be("Pittem", 50.993, 3.267, 7_000),
    _be("Wingene", 51.057, 3.273, 14_000),
    _be("Gistel", 51.157, 2.972, 12_500),
    _be("Jabbeke", 51.182, 3.087, 14_000),
    _be("Zedelgem", 51.143, 3.137, 23_000),
    _be("Oostkamp", 51.155, 3.232, 23_000),
    _be("Beernem", 51.139, 3.339, 16_000),
    _be("Damme", 51.251, 3.282, 11_000),
)

_NATIONAL_NL: Final[tuple[Town, ...]] = (
    _nl("Amsterdam", 52.373, 4.893, 920_000),
    _nl("Rotterdam", 51.922, 4.479, 660_000),
    _nl("Den Haag", 52.078, 4.288, 560_000, sea=300.0),
    _nl("Utrecht", 52.091, 5.122, 370_000),
    _nl("Eindhoven", 51.441, 5.478, 240_000),
    _nl("Groningen", 53.219, 6.567, 240_000),
    _nl("Tilburg", 51.560, 5.091, 225_000),
    _nl("Almere", 52.371, 5.222, 220_000),
    _nl("Breda", 51.589, 4.776, 185_000),
    _nl("Nijmegen", 51.842, 5.853, 180_000),
    _nl("Apeldoorn", 52.211, 5.970, 166_000),
    _nl("Arnhem", 51.985, 5.899, 166_000),
    _nl("Haarlem", 52.387, 4.646, 163_000),
    _nl("Enschede", 52.221, 6.894, 160_000),
    _nl("Hoofddorp", 52.303, 4.689, 160_000),
    _nl("Amersfoort", 52.156, 5.388, 160_000),
    _nl("Zaandam", 52.439, 4.826, 158_000),
    _nl("'s-Hertogenbosch", 51.699, 5.304, 160_000),
    _nl("Zwolle", 52.517, 6.083, 132_000),
    _nl("Leiden", 52.160, 4.497, 127_000),
    _nl("Zoetermeer", 52.057, 4.493, 127_000),
    _nl("Leeuwarden", 53.201, 5.799, 125_000),
    _nl("Dordrecht", 51.813, 4.690, 120_000),
    _nl("Ede", 52.040, 5.665, 120_000),
    _nl("Alphen aan den Rijn", 52.129, 4.656, 113_000),
    _nl("Naaldwijk", 51.994, 4.209, 112_000, sea=310.0),
    _nl("Alkmaar", 52.632, 4.748, 110_000),
    _nl("Emmen", 52.785, 6.897, 108_000),
    _nl("Delft", 52.012, 4.357, 105_000),
    _nl("Venlo", 51.370, 6.172, 102_000),
    _nl("Deventer", 52.255, 6.163, 101_000),
    _nl("Helmond", 51.482, 5.661, 93_000),
    _nl("Oss", 51.765, 5.518, 93_000),
    _nl("Purmerend", 52.505, 4.959, 92_000),
    _nl("Amstelveen", 52.303, 4.863, 92_000),
    _nl("Hilversum", 52.223, 5.176, 91_000),
    _nl("Spijkenisse", 51.845, 4.329, 86_000),
    _nl("Hengelo", 52.266, 6.793, 82_000),
    _nl("Schiedam", 51.919, 4.399, 80_000),
    _nl("Lelystad", 52.518, 5.471, 80_000),
    _nl("Roosendaal", 51.531, 4.465, 77_000),
    _nl("Leidschendam-Voorburg", 52.083, 4.390, 77_000),
    _nl("Vlaardingen", 51.912, 4.342, 75_000),
    _nl("Almelo", 52.357, 6.662, 74_000),
    _nl("Gouda", 52.012, 4.711, 74_000),
    _nl("Hoorn", 52.643, 5.060, 74_000),
    _nl("IJmuiden", 52.459, 4.612, 69_000, sea=270.0),
    _nl("Assen", 52.993, 6.562, 69_000),
    _nl("Bergen op Zoom", 51.495, 4.287, 68_000),
    _nl("Veenendaal", 52.028, 5.559, 68_000),
    _nl("Capelle aan den IJssel", 51.930, 4.578, 67_000),
    _nl("Katwijk", 52.200, 4.414, 66_000, sea=295.0),
    _nl("Zeist", 52.089, 5.233, 66_000),
    _nl("Nieuwegein", 52.029, 5.081, 64_000),
    _nl("Barneveld", 52.140, 5.585, 60_000),
    _nl("Roermond", 51.194, 5.987, 59_000),
    _nl("Doetinchem", 51.965, 6.289, 58_000),
    _nl("Den Helder", 52.958, 4.760, 56_000, sea=300.0),
    _nl("Hoogeveen", 52.723, 6.476, 56_000),
    _nl("Terneuzen", 51.336, 3.828, 54_000),
    _nl("Kampen", 52.555, 5.911, 54_000),
    _nl("Woerden", 52.085, 4.883, 53_000),
    _nl("Heerenveen", 52.960, 5.920, 51_000),
    _nl("Houten", 52.028, 5.168, 50_000),
    _nl("Weert", 51.252, 5.707, 50_000),
    _nl("Middelburg", 51.499, 3.611, 49_000),
    _nl("Waalwijk", 51.683, 5.070, 49_000),
    _nl("Harderwijk", 52.342, 5.621, 48_000),
    _nl("Zutphen", 52.139, 6.196, 48_000),
    _nl("Vlissingen", 51.442, 3.574, 45_000, sea=225.0),
    _nl("Drachten", 53.107, 6.099, 45_000),
    _nl("Venray", 51.526, 5.975, 44_000),
    _nl("Steenwijk", 52.787, 6.118, 44_000),
    _nl("Tiel", 51.887, 5.430, 42_000),
    _nl("Uden", 51.661, 5.619, 42_000),
    _nl("Veghel", 51.616, 5.549, 40_000),
    _nl("Wageningen", 51.970, 5.666, 40_000),
    _nl("Goes", 51.504, 3.889, 39_000),
    _nl("Gorinchem", 51.835, 4.975, 37_000),
    _nl("Sneek", 53.033, 5.659, 35_000),
    _nl("Meppel", 52.696, 6.194, 34_000),
    _nl("Stadskanaal", 52.990, 6.951, 32_000),
    _nl("Oldenzaal", 52.313, 6.929, 32_000),
    _nl("Culemborg", 51.955, 5.227, 30_000),
    _nl("Winterswijk", 51.972, 6.720, 29_000),
    _nl("Delfzijl", 53.330, 6.918, 25_000),
    _nl("Enkhuizen", 52.703, 5.293, 19_000),
    _nl("Winschoten", 53.144, 7.035, 18_000),
    _nl("Harlingen", 53.174, 5.424, 16_000, sea=270.0),
    _nl("Den Burg", 53.054, 4.798, 13_700),
)

_NATIONAL_BE: Final[tuple[Town, ...]] = (
    _be("Antwerpen", 51.219, 4.402, 530_000),
    _be("Gent", 51.054, 3.717, 265_000),
    _be("Brussel", 50.847, 4.357, 1_220_000),
    _be("Leuven", 50.879, 4.701, 102_000),
    _be("Aalst", 50.938, 4.039, 88_000),
    _be("Mechelen", 51.026, 4.478, 87_000),
    _be("Hasselt", 50.931, 5.338, 80_000),
    _be("Sint-Niklaas", 51.165, 4.143, 80_000),
    _be("Genk", 50.965, 5.500, 67_000),
    _be("Beveren", 51.212, 4.256, 50_000),
    _be("Beringen", 51.049, 5.226, 47_000),
    _be("Dendermonde", 51.029, 4.101, 46_000),
    _be("Turnhout", 51.323, 4.945, 46_000),
    _be("Vilvoorde", 50.928, 4.425, 45_000),
    _be("Deinze", 50.983, 3.530, 44_000),
    _be("Dilbeek", 50.848, 4.260, 43_000),
    _be("Heist-op-den-Berg", 51.076, 4.728, 43_000),
    _be("Lokeren", 51.104, 3.993, 42_000),
    _be("Geel", 51.162, 4.991, 41_000),
    _be("Sint-Truiden", 50.816, 5.186, 41_000),
    _be("Halle", 50.734, 4.234, 40_000),
    _be("Ninove", 50.829, 4.024, 40_000),
    _be("Brasschaat", 51.291, 4.491, 38_000),
    _be("Maasmechelen", 50.965, 5.694, 38_000),
    _be("Lier", 51.131, 4.570, 37_000),
    _be("Mol", 51.191, 5.116, 37_000),
    _be("Lommel", 51.230, 5.313, 35_000),
    _be("Tienen", 50.807, 4.938, 35_000),
    _be("Zaventem", 50.883, 4.473, 35_000),
    _be("Geraardsbergen", 50.773, 3.882, 34_000),
    _be("Bilzen", 50.873, 5.518, 33_000),
    _be("Pelt", 51.222, 5.434, 33_000),
    _be("Oudenaarde", 50.845, 3.605, 32_000),
    _be("Tongeren", 50.780, 5.464, 31_000),
    _be("Aarschot", 50.985, 4.836, 30_000),
    _be("Temse", 51.127, 4.213, 30_000),
    _be("Herentals", 51.177, 4.836, 29_000),
    _be("Ronse", 50.746, 3.601, 27_000),
    _be("Willebroek", 51.060, 4.360, 27_000),
    _be("Hamme", 51.098, 4.136, 26_000),
    _be("Wetteren", 51.001, 3.883, 26_000),
    _be("Maaseik", 51.093, 5.791, 25_000),
    _be("Diest", 50.989, 5.051, 24_000),
    _be("Hoogstraten", 51.400, 4.760, 22_000),
    _be("Eeklo", 51.187, 3.556, 21_000),
    _be("Zele", 51.066, 4.040, 21_000),
    _be("Boom", 51.092, 4.366, 19_000),
    _be("Peer", 51.131, 5.456, 17_000),
)

_NATIONAL_FROM_REGIONS: Final = frozenset(
    {
        "Maastricht", "Heerlen", "Sittard", "Geleen", "Kerkrade", "Landgraaf", "Brunssum",
        "Brugge", "Kortrijk", "Oostende", "Roeselare", "Ieper", "Waregem", "Menen",
        "Izegem", "Wevelgem", "Knokke-Heist", "Poperinge", "Tielt", "Torhout", "Diksmuide",
        "Veurne",
    }
)  # fmt: skip

NATIONAL: Final[tuple[Town, ...]] = (
    _NATIONAL_NL
    + tuple(t for t in SOUTH_LIMBURG if t.name in _NATIONAL_FROM_REGIONS)
    + _NATIONAL_BE
    + tuple(t for t in WEST_FLANDERS if t.name in _NATIONAL_FROM_REGIONS)
)


_WESTHOEK: Final = frozenset(
    {
        "Ieper", "Poperinge", "Wervik", "Zonnebeke", "Heuvelland", "Langemark-Poelkapelle",
        "Vleteren", "Lo-Reninge", "Mesen",
    }
)  # fmt: skip
WESTHOEK: Final[tuple[Town, ...]] = tuple(t for t in WEST_FLANDERS if t.name in _WESTHOEK)


def towns(region: str) -> tuple[Town, ...]:
    """The towns points are drawn from in ``region``.

    Parameters
    ----------
    region
        One of :data:`REGIONS`.

    Returns
    -------
    tuple of Town
        The region's towns with their population weights.

    Raises
    ------
    ValueError
        For a region that is not in :data:`REGIONS`.
    """
    if region == "south-limburg":
        return SOUTH_LIMBURG
    if region == "west-flanders":
        return WEST_FLANDERS
    if region == "zorgnetwerken":
        return SOUTH_LIMBURG + WEST_FLANDERS
    if region == "national":
        return NATIONAL
    if region == "westhoek":
        return WESTHOEK
    raise ValueError(f"unknown region {region!r}; choose one of {', '.join(REGIONS)}")
