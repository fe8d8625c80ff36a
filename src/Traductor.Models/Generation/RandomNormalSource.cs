using System.Runtime.InteropServices;
using Traductor.Models.Ct2;

namespace Traductor.Models.Generation;

/// <summary>
/// Seeded N(mean, std²) float32 rows. Every row has its own generator derived from (seed, row), so
/// any chunk can be produced again, in any order and in parallel, with identical values.
/// </summary>
public sealed class RandomNormalSource : TensorSource
{
    private readonly ulong _seed;
    private readonly float _mean;
    private readonly float _std;
    private readonly bool _centreRows;
    private readonly long _zeroRow;

    /// <param name="centreRows">subtract each row's mean (the golden models' zero-sum FFN output rows)</param>
    /// <param name="zeroRow">a row left all zero (the padding embedding), or −1</param>
    public RandomNormalSource(ulong seed, IReadOnlyList<long> shape, float mean, float std, bool centreRows = false, long zeroRow = -1)
        : base(Ct2DataType.Float32, shape)
    {
        _seed = seed;
        _mean = mean;
        _std = std;
        _centreRows = centreRows;
        _zeroRow = zeroRow;
    }

    public override void ReadRows(long firstRow, int rowCount, Span<byte> destination)
    {
        int rowLength = checked((int)RowLength);
        if (Shape.Count <= 1)
        {
            // Vectors and scalars: one generator for the whole tensor so a 1-D read is one stream.
            var all = new float[Rows];
            Fill(all, Mix(_seed, 0));
            for (int i = 0; i < all.Length; i++)
                all[i] = _mean + _std * all[i];
            MemoryMarshal.AsBytes(all.AsSpan((int)firstRow, rowCount)).CopyTo(destination);
            return;
        }
        var values = MemoryMarshal.Cast<byte, float>(destination);
        if ((long)rowCount * rowLength < 1 << 16)
        {
            for (int r = 0; r < rowCount; r++)
                GenerateRow(firstRow + r, values.Slice(r * rowLength, rowLength));
            return;
        }
        var buffer = new float[(long)rowCount * rowLength];
        Parallel.For(0, rowCount, r => GenerateRow(firstRow + r, buffer.AsSpan(r * rowLength, rowLength)));
        buffer.AsSpan().CopyTo(values);
    }

    private void GenerateRow(long row, Span<float> values)
    {
        if (row == _zeroRow)
        {
            values.Clear();
            return;
        }
        Fill(values, Mix(_seed, (ulong)row + 1));
        for (int i = 0; i < values.Length; i++)
            values[i] = _mean + _std * values[i];
        if (_centreRows && values.Length > 0)
        {
            double sum = 0;
            foreach (var v in values)
                sum += v;
            float mean = (float)(sum / values.Length);
            for (int i = 0; i < values.Length; i++)
                values[i] -= mean;
        }
    }

    /// <summary>
    /// Standard normals by Marsaglia and Tsang's ziggurat over xoshiro256** (one 64-bit draw per
    /// value in ~99% of cases): exact normal tails, and several times faster than Box–Muller, which
    /// matters for the 616M values of an NLLB-600M-shaped model.
    /// </summary>
    private static void Fill(Span<float> values, ulong seed)
    {
        ulong s0 = SplitMix(ref seed), s1 = SplitMix(ref seed), s2 = SplitMix(ref seed), s3 = SplitMix(ref seed);
        ulong Next()
        {
            ulong result = RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = RotateLeft(s3, 45);
            return result;
        }
        float Uniform() => ((Next() >> 40) + 1) * (1f / 16777216f);   // (0, 1]

        for (int i = 0; i < values.Length; i++)
        {
            ulong r = Next();
            int hz = (int)(uint)r;
            int iz = (int)(r >> 32) & 127;
            if ((ulong)Math.Abs((long)hz) < Ziggurat.K[iz])
            {
                values[i] = hz * Ziggurat.W[iz];
                continue;
            }
            values[i] = Tail(hz, iz);
        }

        float Tail(int hz, int iz)
        {
            while (true)
            {
                float x = hz * Ziggurat.W[iz];
                if (iz == 0)
                {
                    float y;
                    do
                    {
                        x = -MathF.Log(Uniform()) * (1f / Ziggurat.R);
                        y = -MathF.Log(Uniform());
                    }
                    while (y + y < x * x);
                    return hz > 0 ? Ziggurat.R + x : -Ziggurat.R - x;
                }
                if (Ziggurat.F[iz] + Uniform() * (Ziggurat.F[iz - 1] - Ziggurat.F[iz]) < MathF.Exp(-0.5f * x * x))
                    return x;
                ulong r = Next();
                hz = (int)(uint)r;
                iz = (int)(r >> 32) & 127;
                if ((ulong)Math.Abs((long)hz) < Ziggurat.K[iz])
                    return hz * Ziggurat.W[iz];
            }
        }
    }

    /// <summary>The 128-layer tables of Marsaglia and Tsang (2000), "The Ziggurat Method for Generating Random Variables".</summary>
    private static class Ziggurat
    {
        public const float R = 3.442620f;
        public static readonly ulong[] K = new ulong[128];
        public static readonly float[] W = new float[128];
        public static readonly float[] F = new float[128];

#pragma warning disable CA1810 // the tables depend on each other; a static constructor keeps the recurrence readable
        static Ziggurat()
#pragma warning restore CA1810
        {
            const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
            double dn = 3.442619855899, tn = dn;
            double q = vn / Math.Exp(-0.5 * dn * dn);
            K[0] = (ulong)(dn / q * m1);
            K[1] = 0;
            W[0] = (float)(q / m1);
            W[127] = (float)(dn / m1);
            F[0] = 1f;
            F[127] = (float)Math.Exp(-0.5 * dn * dn);
            for (int i = 126; i >= 1; i--)
            {
                dn = Math.Sqrt(-2 * Math.Log(vn / dn + Math.Exp(-0.5 * dn * dn)));
                K[i + 1] = (ulong)(dn / tn * m1);
                tn = dn;
                F[i] = (float)Math.Exp(-0.5 * dn * dn);
                W[i] = (float)(dn / m1);
            }
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    public static ulong Mix(ulong seed, ulong value)
    {
        ulong s = seed ^ (value * 0xD1B54A32D192ED03);
        return SplitMix(ref s);
    }

    /// <summary>A stable 64-bit seed for a variable name (FNV-1a), independent of .NET's randomized string hashing.</summary>
    public static ulong SeedFor(ulong modelSeed, string name)
    {
        ulong h = 0xCBF29CE484222325;
        foreach (char c in name)
        {
            h ^= c;
            h *= 0x100000001B3;
        }
        return Mix(modelSeed, h);
    }
}
