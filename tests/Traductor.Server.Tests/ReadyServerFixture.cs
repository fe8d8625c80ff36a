namespace Traductor.Server.Tests;

/// <summary>One loaded server shared by the tests of a class that only read or translate small texts.</summary>
public sealed class ReadyServerFixture : IAsyncLifetime
{
    private RunningServer? _server;

    internal RunningServer Server => _server ?? throw new InvalidOperationException("the golden model is missing (the test should have been skipped)");

    /// <summary>Small limits so that every limit can be hit with small requests.</summary>
    internal static readonly Dictionary<string, string?> Limits = new()
    {
        ["MAX_INPUT_TOKENS"] = "200",
        ["MAX_REQUEST_BYTES"] = "256K",
        ["MAX_TEXTS_PER_REQUEST"] = "8",
        ["DEFAULT_MAX_NEW_TOKENS"] = "24",
        ["MAX_MAX_NEW_TOKENS"] = "64",
        ["BEAM_SIZE"] = "2",
        ["MAX_BEAM_SIZE"] = "4",
    };

    public async Task InitializeAsync()
    {
        if (TestEnvironment.GoldenPresent || TestEnvironment.GoldenRequired)
            _server = await RunningServer.StartAsync(Limits);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
