using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Traductor.Models.Checkpoints;
using Traductor.Models.Ct2;

namespace Traductor.Models.Tests;

/// <summary>Corrupt or hostile checkpoints: one clear error, and no output directory (not even a partial one).</summary>
public sealed class HostileCheckpointTests
{
    private static string TinyCase => Path.Combine(TestEnvironment.ConvertDir, "m2m100-tiny-safetensors", "hf");

    /// <summary>A copy of the tiny case's hf/ with its weight file replaced by <paramref name="weights"/>.</summary>
    private static string HfWith(TemporaryDirectory tmp, string weightFile, byte[] weights, string? configJson = null)
    {
        string dir = tmp.Combine("hf");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(TinyCase).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        File.WriteAllBytes(Path.Combine(dir, weightFile), weights);
        if (configJson is not null)
            File.WriteAllText(Path.Combine(dir, "config.json"), configJson);
        return dir;
    }

    private static ModelToolException ConvertFails(TemporaryDirectory tmp, string hf)
    {
        var e = Assert.Throws<ModelToolException>(() => M2M100Converter.Convert(hf, tmp.Combine("out", "model"), Quantization.Int8));
        Assert.False(Directory.Exists(tmp.Combine("out", "model")), "an output directory was left behind");
        if (Directory.Exists(tmp.Combine("out")))
            Assert.Empty(Directory.GetFileSystemEntries(tmp.Combine("out")));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static byte[] TinySafetensors => File.ReadAllBytes(Path.Combine(TinyCase, "model.safetensors"));

    [GoldenFact]
    public void Truncated_safetensors_is_refused_with_the_tensor_named()
    {
        using var tmp = new TemporaryDirectory();
        var bytes = TinySafetensors;
        var e = ConvertFails(tmp, HfWith(tmp, "model.safetensors", bytes[..(bytes.Length / 2)]));
        Assert.Contains("model.safetensors is truncated or corrupt", e.Message, StringComparison.Ordinal);
        Assert.Contains("tensor '", e.Message, StringComparison.Ordinal);
    }

    [GoldenFact]
    public void Header_length_past_the_end_of_the_file_is_refused()
    {
        using var tmp = new TemporaryDirectory();
        var bytes = TinySafetensors;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length * 4);
        var e = ConvertFails(tmp, HfWith(tmp, "model.safetensors", bytes));
        Assert.Contains("header claims", e.Message, StringComparison.Ordinal);
    }

    [GoldenFact]
    public void Garbage_safetensors_header_is_refused()
    {
        using var tmp = new TemporaryDirectory();
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 40);
        Encoding.ASCII.GetBytes("{\"a\": not json").CopyTo(bytes, 8);
        var e = ConvertFails(tmp, HfWith(tmp, "model.safetensors", bytes));
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
    }

    private static byte[] TorchZip(byte[] pickle)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
                s.Write(pickle);
            using (var s = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open())
                s.Write("3\n"u8);
        }
        return ms.ToArray();
    }

    [GoldenFact]
    public void Pickle_asking_for_os_system_is_refused_without_running_anything()
    {
        using var tmp = new TemporaryDirectory();
        string marker = tmp.Combine("pwned");
        // pickle.dumps of a REDUCE that would call os.system("touch <marker>") when unpickled by Python.
        var cmd = Encoding.ASCII.GetBytes("touch " + marker);
        var pickle = new List<byte> { 0x80, 0x02 };
        pickle.AddRange("cos\nsystem\n"u8.ToArray());
        pickle.Add((byte)'X');
        pickle.AddRange(BitConverter.GetBytes(cmd.Length));
        pickle.AddRange(cmd);
        pickle.AddRange(new byte[] { 0x85, (byte)'R', (byte)'.' });
        var e = ConvertFails(tmp, HfWith(tmp, "pytorch_model.bin", TorchZip([.. pickle])));
        Assert.Contains("'os.system'", e.Message, StringComparison.Ordinal);
        Assert.Contains("refusing", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [GoldenFact]
    public void Pickle_with_an_unsupported_opcode_is_refused()
    {
        using var tmp = new TemporaryDirectory();
        // INST ('i') builds an object from an arbitrary class; it has no place in a state dict.
        var e = ConvertFails(tmp, HfWith(tmp, "pytorch_model.bin", TorchZip([0x80, 0x02, (byte)'(', (byte)'i', .. "builtins\nexec\n"u8.ToArray(), (byte)'.'])));
        Assert.Contains("opcode 0x69", e.Message, StringComparison.Ordinal);
    }

    [GoldenFact]
    public void Truncated_pytorch_zip_is_refused()
    {
        using var tmp = new TemporaryDirectory();
        var bytes = File.ReadAllBytes(Path.Combine(TestEnvironment.ConvertDir, "m2m100-tiny-pytorch-bin", "hf", "pytorch_model.bin"));
        var e = ConvertFails(tmp, HfWith(tmp, "pytorch_model.bin", bytes[..(bytes.Length - 5000)]));
        Assert.Contains("pytorch_model.bin", e.Message, StringComparison.Ordinal);
    }

    [GoldenFact]
    public void Another_architecture_is_refused_by_name()
    {
        using var tmp = new TemporaryDirectory();
        string config = "{\"architectures\": [\"MarianMTModel\"], \"model_type\": \"marian\", \"d_model\": 64}";
        var e = ConvertFails(tmp, HfWith(tmp, "model.safetensors", TinySafetensors, config));
        Assert.Contains("MarianMTModel", e.Message, StringComparison.Ordinal);
        Assert.Contains("marian", e.Message, StringComparison.Ordinal);
    }

    [GoldenFact]
    public void A_missing_tensor_is_named()
    {
        using var tmp = new TemporaryDirectory();
        string config = File.ReadAllText(Path.Combine(TinyCase, "config.json")).Replace("\"encoder_layers\": 2", "\"encoder_layers\": 3", StringComparison.Ordinal);
        var e = ConvertFails(tmp, HfWith(tmp, "model.safetensors", TinySafetensors, config));
        Assert.Contains("model.encoder.layers.2.", e.Message, StringComparison.Ordinal);
    }
}
