namespace Traductor.Models.Ct2;

/// <summary>dtype ids of model.bin (the order of CTranslate2's DataType enum, fact sheet §1.4).</summary>
public enum Ct2DataType : byte
{
    Float32 = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Float16 = 4,
    BFloat16 = 5,
}

public static class Ct2DataTypes
{
    public static int ItemSize(this Ct2DataType type) => type switch
    {
        Ct2DataType.Float32 or Ct2DataType.Int32 => 4,
        Ct2DataType.Int16 or Ct2DataType.Float16 or Ct2DataType.BFloat16 => 2,
        Ct2DataType.Int8 => 1,
        _ => throw new ModelToolException($"unknown dtype id {(byte)type}"),
    };

    public static bool IsFloat(this Ct2DataType type) =>
        type is Ct2DataType.Float32 or Ct2DataType.Float16 or Ct2DataType.BFloat16;

    /// <summary>The names CTranslate2's Python writer and manifest files use.</summary>
    public static string Name(this Ct2DataType type) => type switch
    {
        Ct2DataType.Float32 => "float32",
        Ct2DataType.Int8 => "int8",
        Ct2DataType.Int16 => "int16",
        Ct2DataType.Int32 => "int32",
        Ct2DataType.Float16 => "float16",
        Ct2DataType.BFloat16 => "bfloat16",
        _ => $"dtype#{(byte)type}",
    };

    public static bool IsDefined(byte id) => id <= (byte)Ct2DataType.BFloat16;

    /// <summary>torch's float → bfloat16: round to nearest even, NaN kept quiet.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float FromBFloat16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static ushort ToFloat16(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    public static float FromFloat16(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}
