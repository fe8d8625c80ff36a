using Traductor.Models.Ct2;

namespace Traductor.Models.Checkpoints;

/// <summary>The weights of a Hugging Face checkpoint, by state-dict name, as streamable tensors.</summary>
public interface ICheckpointWeights : IDisposable
{
    /// <summary>A description for messages, e.g. "model.safetensors".</summary>
    string Description { get; }
    IReadOnlyCollection<string> Names { get; }
    TensorSource? Find(string name);
}

/// <summary>
/// A contiguous row-major tensor stored at a byte offset of a file, read straight from the file in
/// row chunks (safetensors, and uncompressed torch zip entries).
/// </summary>
internal sealed class FileRegionTensorSource(string description, Func<long, Memory<byte>, int> read, Ct2DataType type, long[] shape, long offset)
    : TensorSource(type, shape)
{
    public override void ReadRows(long firstRow, int rowCount, Span<byte> destination)
    {
        long rowBytes = RowLength * DataType.ItemSize();
        long start = offset + firstRow * rowBytes;
        int wanted = checked((int)(rowCount * rowBytes));
        var buffer = new byte[wanted];
        int done = 0;
        while (done < wanted)
        {
            int n = read(start + done, buffer.AsMemory(done, wanted - done));
            if (n <= 0)
                throw new ModelToolException($"{description} ends early: {wanted - done} bytes missing at byte {start + done}");
            done += n;
        }
        buffer.CopyTo(destination);
    }
}
