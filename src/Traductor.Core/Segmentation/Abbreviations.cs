namespace Traductor.Core.Segmentation;

/// <summary>
/// Spanish and Danish abbreviations after which a period never ends a sentence: titles before names,
/// "p. ej."/"f.eks." before examples, units and references before numbers. Abbreviations that often
/// do end a sentence ("etc.", "osv.", "m.m.") are deliberately absent: the next word's case decides.
/// </summary>
internal static class Abbreviations
{
    private static readonly HashSet<string> NeverFinal = new(StringComparer.OrdinalIgnoreCase)
    {
        // Spanish titles and forms of address
        "sr", "sra", "srta", "sres", "sras", "dr", "dra", "drs", "dras", "d", "dña", "ud", "uds", "vd", "vds",
        "lic", "lcdo", "lcda", "ing", "prof", "profa", "arq", "mons", "fr", "sto", "sta", "gral", "cnel",
        // Spanish references, units, examples
        "ej", "p.ej", "pág", "págs", "pp", "núm", "nº", "n.º", "art", "arts", "cap", "caps", "aprox",
        "tel", "tfno", "av", "avda", "c", "ctra", "pza", "dpto", "depto", "admón", "fig", "figs", "vol",
        "vols", "ed", "cía", "vs", "cf", "cfr", "ibíd", "apdo",
        // Danish
        "hr", "fru", "frk", "mag", "cand", "stud", "nr", "nrs", "jf", "jvf",
        "evt", "inkl", "ekskl", "excl", "incl", "pga", "p.g.a", "mht", "m.h.t", "iht", "i.h.t", "ift",
        "i.f.t", "vha", "v.h.a", "kl", "stk", "pct", "tlf", "f.eks", "bl.a", "ca", "dvs", "d.v.s", "t.eks",
        "vedr", "ang", "gl", "sml", "bd", "afd", "adr", "att", "ml", "mia", "mio", "mill",
        "hhv", "henh", "ovf", "jvnf",
        // shared
        "st", "sct", "mr", "mrs", "ms",
    };

    /// <summary>True when a period right after <paramref name="word"/> cannot end a sentence.</summary>
    public static bool IsNeverFinal(ReadOnlySpan<char> word)
    {
        if (word.Length == 1 && char.IsLetter(word[0]))
        {
            // Initials ("J. R. Jiménez") and the first half of "p. ej.", "a. C.", "s. k.".
            return true;
        }
        return NeverFinal.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word);
    }
}
