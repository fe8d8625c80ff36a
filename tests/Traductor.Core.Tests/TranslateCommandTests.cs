using System.Diagnostics;
using System.Text;

namespace Traductor.Core.Tests;

/// <summary><c>traductor translate</c> as a user runs it: a process, standard input to standard output.</summary>
public sealed class TranslateCommandTests
{
    [GoldenFact]
    public async Task Keeps_every_line_break_blank_line_and_indent_across_chunks()
    {
        var input = new StringBuilder("Hola. ¿Qué tal?\r\n\r\n   Adiós.  \n\n\n");
        // More lines than one chunk (256), so the input is streamed in several pieces.
        for (var i = 0; i < 300; i++)
        {
            input.Append(i % 50 == 0 ? "\n" : "Sí.\n");
        }
        input.Append("Última línea sin salto");
        var (exit, stdout, stderr) = await RunAsync(input.ToString(), "translate", "--direction", "es-da", "--model", TestEnvironment.TinyModel,
            "--tokenizer", TestEnvironment.UnigramTokenizer, "--max-new-tokens", "3", "--beam-size", "1", "--progress");
        Assert.True(exit == 0, stderr);
        Assert.Equal(Shape(input.ToString()), Shape(stdout));
        Assert.False(stdout.EndsWith('\n'));
        Assert.Contains("translated 306 lines", stderr);
    }

    [GoldenFact]
    public async Task Reports_a_reached_output_budget_on_stderr()
    {
        var (exit, stdout, stderr) = await RunAsync("El ayuntamiento aprobó ayer el presupuesto para el próximo año.\n", "translate", "-d", "es-da",
            "-m", TestEnvironment.TinyModel, "--tokenizer", TestEnvironment.UnigramTokenizer, "--max-new-tokens", "1");
        Assert.Equal(0, exit);
        Assert.EndsWith("\n", stdout);
        Assert.Contains("reached the output budget of 1 tokens", stderr);
    }

    [GoldenFact]
    public async Task Errors_are_one_line_and_a_non_zero_exit()
    {
        var unknown = await RunAsync("hola\n", "translate", "--direction", "es-fr");
        Assert.Equal(2, unknown.Exit);
        Assert.Equal("traductor translate: unknown direction 'es-fr' (use es-da or da-es)", unknown.Stderr.Trim());

        var missing = await RunAsync("hola\n", "translate", "--direction", "es-da", "--model", "/no/such/model");
        Assert.Equal(1, missing.Exit);
        Assert.Single(missing.Stderr.Trim().Split('\n'));
        Assert.Contains("/no/such/model", missing.Stderr);
        Assert.Empty(missing.Stdout);
    }

    private static string[] Shape(string text) =>
        [.. text.Split('\n').Select(l => string.IsNullOrWhiteSpace(l) ? $"blank:{l}" : $"{l[..(l.Length - l.TrimStart().Length)]}|{l[l.TrimEnd().Length..]}")];

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string stdin, params string[] args)
    {
        // bin/<Configuration>/net10.0 of this assembly names the configuration the CLI was built in.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
        var cli = Path.Combine(TestEnvironment.RepoRoot, "src", "Traductor.Cli", "bin", configuration, "net10.0", "traductor.dll");
        Assert.True(File.Exists(cli), $"{cli} not built");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add(cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("MODEL_PATH");
        start.Environment.Remove("TOKENIZER_PATH");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
