using Microsoft.ML;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>MLContext.CancelExecution() (AutoML's way to stop a trial) stops an Mlp fit at the next batch.</summary>
[TestClass]
public sealed class CancelExecutionTests
{
    [TestMethod]
    public void CancelExecution_DuringFit_StopsBeforeTheNextBatch()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 1000).Select(i => new Row { Label = (uint)(i % 3), Features = [i % 3, i % 7, 1] }));
        int batches = 0;
        var trainer = ml.MulticlassClassification.Trainers.Mlp(new MlpOptions
        {
            Epochs = 5, BatchSize = 10,
            Progress = new SyncProgress<TrainingProgress>(p => { if (p.EpochEnd is null && ++batches == 3) CancelExecution(ml); }),
        });
        Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data));
        Assert.AreEqual(3, batches);
    }

    /// <summary>MLContext.CancelExecution is internal (AutoML reaches it as a friend assembly): called as AutoML calls it.</summary>
    internal static void CancelExecution(MLContext ml) =>
        typeof(MLContext).GetMethod("CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.Invoke(ml, null);

    sealed class Row
    {
        public uint Label { get; set; }

        [Microsoft.ML.Data.VectorType(3)]
        public float[] Features { get; set; } = [];
    }
}
