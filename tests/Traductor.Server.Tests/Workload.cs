namespace Traductor.Server.Tests;

/// <summary>Distinct Spanish sentences, so that nothing is answered from the cache.</summary>
internal static class Workload
{
    private static readonly string[] Subjects = ["La casa", "El perro", "Mi hermana", "El tren", "La ciudad", "Un libro", "El profesor", "La tienda"];
    private static readonly string[] Verbs = ["tiene", "necesita", "busca", "compra", "pinta", "vende", "encuentra", "recuerda"];
    private static readonly string[] Objects = ["ventanas", "manzanas", "puertas", "cartas", "flores", "sillas", "cuadernos", "lámparas"];

    public static string Sentence(int i) =>
        $"{Subjects[i % 8]} {Verbs[i / 8 % 8]} {i + 2} {Objects[i / 64 % 8]} nuevas.";

    /// <summary>A text of <paramref name="sentences"/> sentences starting at sentence <paramref name="first"/>.</summary>
    public static string Text(int first, int sentences) => string.Join(" ", Enumerable.Range(first, sentences).Select(Sentence));
}
