using System.Runtime.CompilerServices;
using System.Text;

namespace Traductor.Cli.Commands;

/// <summary>Reads text as lines that keep their terminators ("\n", "\r\n"), grouped in bounded chunks.</summary>
internal static class LineChunks
{
    public static async IAsyncEnumerable<List<string>> ReadAsync(
        TextReader reader,
        int maxLines,
        int maxChars,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new char[1 << 16];
        var line = new StringBuilder();
        var chunk = new List<string>();
        var chunkChars = 0;
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n')
                {
                    continue;
                }
                line.Append(buffer, start, i + 1 - start);
                start = i + 1;
                chunk.Add(line.ToString());
                chunkChars += line.Length;
                line.Clear();
                if (chunk.Count >= maxLines || chunkChars >= maxChars)
                {
                    yield return chunk;
                    chunk = [];
                    chunkChars = 0;
                }
            }
            line.Append(buffer, start, read - start);
        }
        if (line.Length > 0)
        {
            chunk.Add(line.ToString());
        }
        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }
}
