using YamlDotNet.RepresentationModel;

namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>One object of deploy/k8s/*.yaml.</summary>
internal sealed record KubernetesObject(string File, string Kind, string Name, YamlMappingNode Root)
{
    public YamlMappingNode Map(string path) => Yaml.Map(Root, path);

    public string Scalar(string path) => Yaml.Scalar(Root, path);
}

/// <summary>Parses every manifest with YamlDotNet (a second parser, independent of the npm validator).</summary>
internal static class KubernetesManifests
{
    public static string Directory { get; } = RepoPaths.File("deploy", "k8s");

    public static IReadOnlyList<KubernetesObject> Load()
    {
        var objects = new List<KubernetesObject>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(file))
                stream.Load(reader);
            foreach (var document in stream.Documents)
            {
                var root = Assert.IsType<YamlMappingNode>(document.RootNode);
                var kind = Yaml.Scalar(root, "kind");
                var name = kind == "Kustomization" ? "kustomization" : Yaml.Scalar(root, "metadata.name");
                objects.Add(new KubernetesObject(Path.GetFileName(file), kind, name, root));
            }
        }
        return objects;
    }

    public static KubernetesObject Single(string kind) => Load().Single(o => o.Kind == kind);
}

/// <summary>Dotted-path access into YAML mappings; a missing key fails the test naming the path.</summary>
internal static class Yaml
{
    public static YamlNode? Find(YamlNode node, string path)
    {
        var current = node;
        foreach (var key in path.Split('.'))
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
                return null;
            current = next;
        }
        return current;
    }

    public static YamlNode Get(YamlNode node, string path) =>
        Find(node, path) ?? throw new Xunit.Sdk.XunitException($"YAML path '{path}' not found");

    public static YamlMappingNode Map(YamlNode node, string path) =>
        Get(node, path) as YamlMappingNode ?? throw new Xunit.Sdk.XunitException($"YAML path '{path}' is not a mapping");

    public static YamlSequenceNode Seq(YamlNode node, string path) =>
        Get(node, path) as YamlSequenceNode ?? throw new Xunit.Sdk.XunitException($"YAML path '{path}' is not a sequence");

    public static string Scalar(YamlNode node, string path) =>
        (Get(node, path) as YamlScalarNode)?.Value ?? throw new Xunit.Sdk.XunitException($"YAML path '{path}' is not a scalar");

    public static IReadOnlyDictionary<string, string> Labels(YamlNode node, string path) =>
        Map(node, path).Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString(), StringComparer.Ordinal);
}
