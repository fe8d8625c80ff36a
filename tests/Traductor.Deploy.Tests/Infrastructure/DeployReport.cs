namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>
/// Figures the checks measure (systemd exposure score, rolling-update counts). Written to
/// build/deploy-checks/&lt;name&gt;.txt so scripts/check-deploy.sh can print them after the run and
/// docs/deployment.md can quote them.
/// </summary>
internal static class DeployReport
{
    public static string Directory { get; } = Path.Combine(RepoPaths.Root, "build", "deploy-checks");

    public static void Write(string name, string text)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, name + ".txt"), text.TrimEnd() + "\n");
    }
}
