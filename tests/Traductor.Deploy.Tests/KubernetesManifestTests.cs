using System.Globalization;
using Traductor.Deploy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Traductor.Deploy.Tests;

/// <summary>
/// deploy/k8s: schema validation by the Kubernetes OpenAPI schemas (npm kubernetes-models, offline), and
/// the fields the handbook and the issue ask for, checked one by one.
/// </summary>
public sealed class KubernetesManifestTests
{
    private readonly ITestOutputHelper _output;

    public KubernetesManifestTests(ITestOutputHelper output) => _output = output;

    private static YamlMappingNode Pod => KubernetesManifests.Single("Deployment").Map("spec.template.spec");

    private static YamlMappingNode Container => Assert.IsType<YamlMappingNode>(Assert.Single(Yaml.Seq(Pod, "containers")));

    [Fact]
    public void EveryManifestValidatesAgainstTheKubernetesSchemas()
    {
        var result = NodeTools.Run("validate-k8s.mjs", KubernetesManifests.Directory);
        _output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(KubernetesManifests.Load().Count(o => o.Kind != "Kustomization"), result.StandardOutput.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal) && !l.Contains("kustomization", StringComparison.Ordinal)));
    }

    [Fact]
    public void SchemaValidationRejectsABrokenManifest()
    {
        // The control: the validator does fail on a wrong type and a missing required field.
        using var dir = new TempDirectory("k8s");
        var text = File.ReadAllText(Path.Combine(KubernetesManifests.Directory, "deployment.yaml"))
            .Replace("replicas: 2", "replicas: two", StringComparison.Ordinal)
            .Replace("              port: http\n            periodSeconds: 30", "            periodSeconds: 30", StringComparison.Ordinal);
        File.WriteAllText(dir.File("deployment.yaml"), text);
        var result = NodeTools.Run("validate-k8s.mjs", dir.Path);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("spec/replicas must be integer", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("livenessProbe/httpGet must have required property port", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void DeploymentHasTheHandbooksReplicasAndResources()
    {
        var deployment = KubernetesManifests.Single("Deployment");
        Assert.Equal("2", deployment.Scalar("spec.replicas"));
        Assert.Equal("traductor-es-da:latest", Yaml.Scalar(Container, "image"));
        Assert.Equal("2", Yaml.Scalar(Container, "resources.requests.cpu"));
        Assert.Equal("8Gi", Yaml.Scalar(Container, "resources.requests.memory"));
        Assert.Equal("4", Yaml.Scalar(Container, "resources.limits.cpu"));
        Assert.Equal("16Gi", Yaml.Scalar(Container, "resources.limits.memory"));
    }

    [Fact]
    public void RollingUpdateNeverDropsBelowTheReplicaCount()
    {
        var strategy = KubernetesManifests.Single("Deployment").Map("spec.strategy");
        Assert.Equal("RollingUpdate", Yaml.Scalar(strategy, "type"));
        Assert.Equal("0", Yaml.Scalar(strategy, "rollingUpdate.maxUnavailable"));
        Assert.Equal("1", Yaml.Scalar(strategy, "rollingUpdate.maxSurge"));
    }

    [Theory]
    [InlineData("startupProbe")]
    [InlineData("readinessProbe")]
    [InlineData("livenessProbe")]
    public void ProbesCallHealthOnTheServicePort(string probe)
    {
        Assert.Equal("/health", Yaml.Scalar(Container, $"{probe}.httpGet.path"));
        var port = Yaml.Scalar(Container, $"{probe}.httpGet.port");
        var declared = Yaml.Seq(Container, "ports").Cast<YamlMappingNode>()
            .Single(p => Yaml.Scalar(p, "containerPort") == "8000");
        Assert.Contains(port, new[] { "8000", Yaml.Scalar(declared, "name") });
    }

    [Fact]
    public void StartupProbeAllowsForTheModelLoad()
    {
        // The handbook's probes start after 30-90 s; a startupProbe replaces the guess with a budget:
        // liveness only starts once the model has loaded, however long that took (up to the budget).
        var budget = int.Parse(Yaml.Scalar(Container, "startupProbe.periodSeconds"), CultureInfo.InvariantCulture)
                     * int.Parse(Yaml.Scalar(Container, "startupProbe.failureThreshold"), CultureInfo.InvariantCulture);
        Assert.InRange(budget, 300, 1800);
        Assert.Null(Yaml.Find(Container, "livenessProbe.initialDelaySeconds"));
    }

    [Fact]
    public void ContainerIsLockedDown()
    {
        var pod = Pod;
        Assert.Equal("true", Yaml.Scalar(pod, "securityContext.runAsNonRoot"));
        Assert.Equal("RuntimeDefault", Yaml.Scalar(pod, "securityContext.seccompProfile.type"));
        Assert.Equal("false", Yaml.Scalar(pod, "automountServiceAccountToken"));
        var c = Container;
        Assert.Equal("true", Yaml.Scalar(c, "securityContext.runAsNonRoot"));
        Assert.NotEqual("0", Yaml.Scalar(c, "securityContext.runAsUser"));
        Assert.Equal("false", Yaml.Scalar(c, "securityContext.allowPrivilegeEscalation"));
        Assert.Equal("false", Yaml.Scalar(c, "securityContext.privileged"));
        Assert.Equal("true", Yaml.Scalar(c, "securityContext.readOnlyRootFilesystem"));
        Assert.Equal(["ALL"], Yaml.Seq(c, "securityContext.capabilities.drop").Select(n => n.ToString()));
        Assert.Null(Yaml.Find(c, "securityContext.capabilities.add"));
        Assert.Equal("RuntimeDefault", Yaml.Scalar(c, "securityContext.seccompProfile.type"));
    }

    [Fact]
    public void UserMatchesTheImage()
    {
        // runAsNonRoot needs a numeric user to verify; it must be the one the image creates.
        var user = Dockerfile.Load().Instruction("runtime", "USER").Single();
        Assert.Equal($"{Yaml.Scalar(Container, "securityContext.runAsUser")}:{Yaml.Scalar(Container, "securityContext.runAsGroup")}", user);
    }

    [Fact]
    public void ModelsComeFromAReadOnlyClaimAndTmpIsAnEmptyDir()
    {
        var mounts = Yaml.Seq(Container, "volumeMounts").Cast<YamlMappingNode>().ToDictionary(m => Yaml.Scalar(m, "mountPath"));
        var volumes = Yaml.Seq(Pod, "volumes").Cast<YamlMappingNode>().ToDictionary(v => Yaml.Scalar(v, "name"));

        var models = mounts["/models"];
        Assert.Equal("true", Yaml.Scalar(models, "readOnly"));
        var claim = volumes[Yaml.Scalar(models, "name")];
        Assert.Equal("models-pvc", Yaml.Scalar(claim, "persistentVolumeClaim.claimName"));
        Assert.Equal("true", Yaml.Scalar(claim, "persistentVolumeClaim.readOnly"));
        var pvc = KubernetesManifests.Single("PersistentVolumeClaim");
        Assert.Equal("models-pvc", pvc.Name);
        Assert.Equal(["ReadOnlyMany"], Yaml.Seq(pvc.Root, "spec.accessModes").Select(n => n.ToString()));

        // With a read-only root filesystem, /tmp is the only writable place, and it is bounded.
        var tmp = volumes[Yaml.Scalar(mounts["/tmp"], "name")];
        Assert.NotNull(Yaml.Find(tmp, "emptyDir.sizeLimit"));
        Assert.Equal(2, mounts.Count);
    }

    [Fact]
    public void TranslationsAreNeverLogged()
    {
        var env = Yaml.Seq(Container, "env").Cast<YamlMappingNode>().ToDictionary(e => Yaml.Scalar(e, "name"), e => Yaml.Scalar(e, "value"));
        Assert.Equal("false", env["LOG_TRANSLATIONS"]);
        // Not in the ConfigMap at all: the explicit env entry is the single source.
        Assert.Null(Yaml.Find(KubernetesManifests.Single("ConfigMap").Root, "data.LOG_TRANSLATIONS"));
    }

    [Fact]
    public void ContainerTakesItsSettingsFromTheConfigMap()
    {
        var reference = Assert.IsType<YamlMappingNode>(Assert.Single(Yaml.Seq(Container, "envFrom")));
        Assert.Equal(KubernetesManifests.Single("ConfigMap").Name, Yaml.Scalar(reference, "configMapRef.name"));
    }

    [Fact]
    public void ShutdownDrainsBeforeTheGracePeriodEnds()
    {
        // preStop pause (endpoints removed everywhere) + SHUTDOWN_TIMEOUT (drain) < grace period, or
        // in-flight requests are killed by SIGKILL.
        var grace = int.Parse(Yaml.Scalar(Pod, "terminationGracePeriodSeconds"), CultureInfo.InvariantCulture);
        var preStop = Yaml.Seq(Container, "lifecycle.preStop.exec.command").Select(n => n.ToString()).ToArray();
        Assert.Equal("sleep", preStop[0]);
        var pause = int.Parse(preStop[1], CultureInfo.InvariantCulture);
        var drain = int.Parse(Yaml.Scalar(KubernetesManifests.Single("ConfigMap").Root, "data.SHUTDOWN_TIMEOUT"), CultureInfo.InvariantCulture);
        Assert.True(pause + drain < grace, $"preStop {pause} s + SHUTDOWN_TIMEOUT {drain} s must be below terminationGracePeriodSeconds {grace}");
    }

    [Fact]
    public void ThreadsFitTheCpuLimit()
    {
        var data = KubernetesManifests.Single("ConfigMap").Map("data");
        var threads = int.Parse(Yaml.Scalar(data, "CT2_INTER_THREADS"), CultureInfo.InvariantCulture) * int.Parse(Yaml.Scalar(data, "CT2_INTRA_THREADS"), CultureInfo.InvariantCulture);
        Assert.True(threads <= int.Parse(Yaml.Scalar(Container, "resources.limits.cpu"), CultureInfo.InvariantCulture), "CT2_INTER_THREADS x CT2_INTRA_THREADS exceeds the CPU limit");
    }

    [Fact]
    public void ServicePdbHpaAndNetworkPolicySelectThePods()
    {
        var podLabels = Yaml.Labels(KubernetesManifests.Single("Deployment").Root, "spec.template.metadata.labels");
        bool Selects(IReadOnlyDictionary<string, string> selector) => selector.Count > 0 && selector.All(kv => podLabels.GetValueOrDefault(kv.Key) == kv.Value);

        var service = KubernetesManifests.Single("Service");
        Assert.True(Selects(Yaml.Labels(service.Root, "spec.selector")), "Service selector does not match the pods");
        Assert.Equal("http", Yaml.Scalar(Assert.IsType<YamlMappingNode>(Assert.Single(Yaml.Seq(service.Root, "spec.ports"))), "targetPort"));

        var pdb = KubernetesManifests.Single("PodDisruptionBudget");
        Assert.True(Selects(Yaml.Labels(pdb.Root, "spec.selector.matchLabels")), "PDB selector does not match the pods");
        Assert.Equal("1", pdb.Scalar("spec.minAvailable"));

        var hpa = KubernetesManifests.Single("HorizontalPodAutoscaler");
        Assert.Equal("Deployment", hpa.Scalar("spec.scaleTargetRef.kind"));
        Assert.Equal(KubernetesManifests.Single("Deployment").Name, hpa.Scalar("spec.scaleTargetRef.name"));
        Assert.True(int.Parse(hpa.Scalar("spec.minReplicas"), CultureInfo.InvariantCulture) >= 2, "the HPA must not scale below the handbook's 2 replicas");

        var policy = KubernetesManifests.Single("NetworkPolicy");
        Assert.True(Selects(Yaml.Labels(policy.Root, "spec.podSelector.matchLabels")), "NetworkPolicy does not select the pods");
    }

    [Fact]
    public void NetworkPolicyAllowsNoEgress()
    {
        var policy = KubernetesManifests.Single("NetworkPolicy");
        Assert.Contains("Egress", Yaml.Seq(policy.Root, "spec.policyTypes").Select(n => n.ToString()));
        var egress = Yaml.Find(policy.Root, "spec.egress");
        Assert.True(egress is null || egress is YamlSequenceNode { Children.Count: 0 }, "the service is offline: no egress rule may exist");
        var ports = Yaml.Seq(policy.Root, "spec.ingress").Cast<YamlMappingNode>().SelectMany(r => Yaml.Seq(r, "ports").Cast<YamlMappingNode>()).Select(p => Yaml.Scalar(p, "port"));
        Assert.Equal(["8000"], ports);
    }

    [Fact]
    public void PrometheusDiscoversThePods()
    {
        // scrape-kubernetes.yml keeps pods labelled app=traductor-es-da with prometheus.io/scrape=true.
        var annotations = Yaml.Labels(KubernetesManifests.Single("Deployment").Root, "spec.template.metadata.annotations");
        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal("8000", annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
        var scrape = File.ReadAllText(RepoPaths.File("deploy", "prometheus", "scrape-kubernetes.yml"));
        Assert.Contains("regex: traductor-es-da", scrape, StringComparison.Ordinal);
        Assert.Contains("job_name: traductor", scrape, StringComparison.Ordinal);
    }
}
