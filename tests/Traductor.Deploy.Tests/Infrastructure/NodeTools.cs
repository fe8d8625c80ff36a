namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>The npm checkers in deploy/tools (installed by scripts/install-deps.sh with `npm ci`).</summary>
internal static class NodeTools
{
    public static string Directory { get; } = RepoPaths.File("deploy", "tools");

    /// <summary>Runs a script of deploy/tools with node.</summary>
    public static ToolResult Run(string script, params string[] arguments)
    {
        var node = Tool.Require("node", "Node.js (Debian's nodejs)");
        RequireInstalled();
        return Tool.Run(node, [Path.Combine(Directory, script), .. arguments]);
    }

    /// <summary>Runs a command from deploy/tools/node_modules/.bin.</summary>
    public static ToolResult Bin(string name, params string[] arguments)
    {
        RequireInstalled();
        var path = Path.Combine(Directory, "node_modules", ".bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: run 'npm ci --prefix deploy/tools' (scripts/install-deps.sh does)");
        return Tool.Run(path, arguments);
    }

    private static void RequireInstalled() =>
        Assert.True(System.IO.Directory.Exists(Path.Combine(Directory, "node_modules")),
            "deploy/tools/node_modules is missing: run 'npm ci --prefix deploy/tools' (scripts/install-deps.sh does)");
}
