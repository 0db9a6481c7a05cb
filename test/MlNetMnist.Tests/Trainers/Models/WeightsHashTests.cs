using System.Buffers.Binary;
using System.Security.Cryptography;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Tests.Trainers.Models;

/// <summary>MlpNetwork.WeightsSha256: the documented byte layout, its bytes, stable, and sensitive to one ulp.</summary>
[TestClass]
public sealed class WeightsHashTests
{
    static MlpNetwork Network(float firstWeight = 0.25f) =>
        new([3, 2, 2], [[firstWeight, -1, 2, 0, 0.5f, 3], [1, 2, 3, 4]], [[0.1f, -0.2f], [0, 7]]);

    [TestMethod]
    public void Hash_IsTheSha256OfTheDocumentedLayout()
    {
        // int32 count of sizes, the sizes, then per layer weight [out x in] row-major and bias, all float32 little-endian.
        var bytes = new List<byte>();
        void Int(int v) { var b = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); bytes.AddRange(b); }
        void Floats(params float[] vs) { foreach (float v in vs) { var b = new byte[4]; BinaryPrimitives.WriteSingleLittleEndian(b, v); bytes.AddRange(b); } }
        Int(3); Int(3); Int(2); Int(2);
        Floats(0.25f, -1, 2, 0, 0.5f, 3); Floats(0.1f, -0.2f);
        Floats(1, 2, 3, 4); Floats(0, 7);
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())), Network().WeightsSha256());
    }

    [TestMethod]
    public void Hash_IsStable_AndChangesWithOneUlpOfOneWeight()
    {
        Assert.AreEqual(Network().WeightsSha256(), Network().WeightsSha256());
        Assert.AreNotEqual(Network().WeightsSha256(), Network(MathF.BitIncrement(0.25f)).WeightsSha256());
    }
}
