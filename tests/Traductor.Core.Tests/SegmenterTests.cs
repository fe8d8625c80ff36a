using Traductor.Core.Segmentation;

namespace Traductor.Core.Tests;

public class SegmenterTests
{
    private static string[] Sentences(string text) => [.. Segmenter.Split(text).Sentences];

    [Theory]
    [InlineData("La Sra. García llegó tarde. El Sr. López no vino.", "La Sra. García llegó tarde.", "El Sr. López no vino.")]
    [InlineData("La Dra. Pérez y la Srta. Ruiz hablaron. Fue útil.", "La Dra. Pérez y la Srta. Ruiz hablaron.", "Fue útil.")]
    [InlineData("Hay frutas, p. ej. Manzanas y peras. Nada más.", "Hay frutas, p. ej. Manzanas y peras.", "Nada más.")]
    [InlineData("Compramos pan, leche, etc. Luego volvimos.", "Compramos pan, leche, etc.", "Luego volvimos.")]
    [InlineData("Compramos pan, leche, etc. y volvimos.", "Compramos pan, leche, etc. y volvimos.")]
    [InlineData("Der er mange sportsgrene, f.eks. Roning og sejlads. Det er sjovt.", "Der er mange sportsgrene, f.eks. Roning og sejlads.", "Det er sjovt.")]
    [InlineData("Han talte bl.a. Om vejret. Så gik han.", "Han talte bl.a. Om vejret.", "Så gik han.")]
    [InlineData("Det koster ca. 200 kr. Det er billigt.", "Det koster ca. 200 kr.", "Det er billigt.")]
    [InlineData("Vi købte æbler, pærer osv. Derefter gik vi hjem.", "Vi købte æbler, pærer osv.", "Derefter gik vi hjem.")]
    [InlineData("Huset er gult, dvs. Næsten orange. Det er pænt.", "Huset er gult, dvs. Næsten orange.", "Det er pænt.")]
    [InlineData("J. R. Jiménez escribió poesía. Ganó el Nobel.", "J. R. Jiménez escribió poesía.", "Ganó el Nobel.")]
    public void Abbreviations_do_not_end_sentences(string text, params string[] expected) =>
        Assert.Equal(expected, Sentences(text));

    [Theory]
    [InlineData("El precio subió un 3,5 %. Luego bajó.", "El precio subió un 3,5 %.", "Luego bajó.")]
    [InlineData("The value is 3.5 today. Tomorrow 4.25 maybe.", "The value is 3.5 today.", "Tomorrow 4.25 maybe.")]
    [InlineData("Vi mødes den 1. januar kl. 10. Kom i god tid.", "Vi mødes den 1. januar kl. 10.", "Kom i god tid.")]
    [InlineData("Han blev nr. 2. Det var flot.", "Han blev nr. 2.", "Det var flot.")]
    [InlineData("Nació en 1990. Después se mudó.", "Nació en 1990.", "Después se mudó.")]
    [InlineData("Den 24. december er juleaften. Alle glæder sig.", "Den 24. december er juleaften.", "Alle glæder sig.")]
    [InlineData("Capítulo 3. 4 personas llegaron.", "Capítulo 3. 4 personas llegaron.")]
    public void Numbers_decimals_and_ordinals(string text, params string[] expected) =>
        Assert.Equal(expected, Sentences(text));

    [Theory]
    [InlineData("¿Vienes mañana? ¡Claro que sí! Nos vemos.", "¿Vienes mañana?", "¡Claro que sí!", "Nos vemos.")]
    [InlineData("¿Vienes? dijo ella.", "¿Vienes? dijo ella.")]
    [InlineData("Hvem havde troet det? Ikke mange!", "Hvem havde troet det?", "Ikke mange!")]
    [InlineData("¡¿Qué?! No lo sabía.", "¡¿Qué?!", "No lo sabía.")]
    [InlineData("Dijo: \"Me voy.\" Y se fue.", "Dijo: \"Me voy.\"", "Y se fue.")]
    [InlineData("«¿Vienes?», preguntó. Nadie respondió.", "«¿Vienes?», preguntó.", "Nadie respondió.")]
    [InlineData("Han sagde: »Farvel.« Så gik han.", "Han sagde: »Farvel.«", "Så gik han.")]
    [InlineData("»Kommer du?« spurgte hun.", "»Kommer du?« spurgte hun.")]
    [InlineData("Bueno... no sé. Tal vez.", "Bueno... no sé.", "Tal vez.")]
    [InlineData("Esperamos… Nadie vino.", "Esperamos…", "Nadie vino.")]
    [InlineData("Esperamos... Nadie vino.", "Esperamos...", "Nadie vino.")]
    [InlineData("(Ver el anexo.) Después seguimos.", "(Ver el anexo.)", "Después seguimos.")]
    [InlineData("Visite www.ejemplo.es hoy. Gracias.", "Visite www.ejemplo.es hoy.", "Gracias.")]
    public void Punctuation_quotes_and_ellipses(string text, params string[] expected) =>
        Assert.Equal(expected, Sentences(text));

    [Theory]
    [InlineData("1. Introducción")]
    [InlineData("IV. Resultater og diskussion")]
    public void List_markers_stay_with_their_item(string line) => Assert.Equal([line], Sentences(line));

    [Fact]
    public void Line_breaks_separate_segments_and_are_kept_verbatim()
    {
        var layout = Segmenter.Split("  Hola.\r\n\r\nAdiós. Hasta luego.\t\n");
        Assert.Equal(
            [
                new TextPiece(TextPieceKind.Separator, "  "),
                new TextPiece(TextPieceKind.Sentence, "Hola."),
                new TextPiece(TextPieceKind.Separator, "\r\n\r\n"),
                new TextPiece(TextPieceKind.Sentence, "Adiós."),
                new TextPiece(TextPieceKind.Separator, " "),
                new TextPiece(TextPieceKind.Sentence, "Hasta luego."),
                new TextPiece(TextPieceKind.Separator, "\t\n"),
            ],
            layout.Pieces);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\n\n")]
    [InlineData(" \r\n \t ")]
    public void Whitespace_only_text_has_no_sentences(string text)
    {
        var layout = Segmenter.Split(text);
        Assert.Empty(layout.Sentences);
        Assert.Equal(text, layout.ToString());
    }

    [Theory]
    [InlineData("es-multiparagraph.txt", 14)]
    [InlineData("da-multiparagraph.txt", 14)]
    [InlineData("es-crlf.txt", 4)]
    public void Real_multi_paragraph_texts_round_trip_exactly(string fixture, int expectedSentences)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture));
        var layout = Segmenter.Split(text);
        Assert.Equal(text, layout.ToString());
        var sentences = layout.Sentences.ToList();
        Assert.Equal(expectedSentences, sentences.Count);
        Assert.All(sentences, s => Assert.Equal(s.Trim(), s));
        Assert.All(layout.Pieces.Where(p => p.Kind == TextPieceKind.Separator), p => Assert.True(string.IsNullOrWhiteSpace(p.Text)));
        // Replacing each sentence by a marker keeps every separator in place.
        var marked = layout.Reassemble([.. sentences.Select((_, i) => $"<{i}>")]);
        var expected = text;
        for (var i = sentences.Count - 1; i >= 0; i--)
        {
            var at = FindNth(text, sentences, i);
            expected = expected[..at] + $"<{i}>" + expected[(at + sentences[i].Length)..];
        }
        Assert.Equal(expected, marked);
    }

    [Fact]
    public void Spanish_fixture_sentences_are_cut_where_a_reader_would()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "es-multiparagraph.txt"));
        var sentences = Sentences(text);
        Assert.Contains("La Sra. Martínez, directora de la biblioteca, presentó ayer el informe del tercer trimestre.", sentences);
        Assert.Contains("Según sus datos, el número de préstamos creció un 3,5 % respecto al año anterior.", sentences);
        Assert.Contains("¿La causa principal?", sentences);
        Assert.Contains("El Dr. Ruiz añadió que los talleres infantiles (p. ej., lectura en voz alta, cómics, etc.) tuvieron lista de espera.", sentences);
        Assert.Contains("\"Nunca habíamos visto tanta demanda\", dijo.", sentences);
        Assert.Contains("1. Renovar la colección de novelas juveniles.", sentences);
        Assert.Contains("2. Digitalizar el archivo de prensa local...", sentences);
        Assert.Contains("Para más información, consulte la pág. 12 del informe o escriba a la Dra. Gómez.", sentences);
    }

    [Fact]
    public void Danish_fixture_sentences_are_cut_where_a_reader_would()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "da-multiparagraph.txt"));
        var sentences = Sentences(text);
        Assert.Contains("Klubben kunne den 1. januar fejre sit 75-års jubilæum.", sentences);
        Assert.Contains("Formanden, hr. Jensen, takkede bl.a. de frivillige trænere for deres store indsats.", sentences);
        Assert.Contains("Medlemstallet steg med ca. 12 pct. til i alt 348 medlemmer.", sentences);
        Assert.Contains("Sæsonen bød på flere gode resultater, f.eks. en sølvmedalje ved DM i dobbeltsculler.", sentences);
        Assert.Contains("Vandtemperaturen var i gennemsnit 14,5 grader, dvs. lidt højere end sidste år.", sentences);
        Assert.Contains("2. Der indkøbes to nye både, osv.", sentences);
        Assert.Contains("Det samlede budget er 3.5 mio. kr.", sentences);
        Assert.Contains("Spørgsmål kan rettes til sekretæren, fru Nielsen, på tlf. 12 34 56 78.", sentences);
    }

    private static int FindNth(string text, List<string> sentences, int index)
    {
        var at = 0;
        for (var i = 0; i <= index; i++)
        {
            at = text.IndexOf(sentences[i], i == 0 ? 0 : at + sentences[i - 1].Length, StringComparison.Ordinal);
        }
        return at;
    }
}
