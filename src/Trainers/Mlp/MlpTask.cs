using System.Text.Json.Serialization;

namespace MlNetMnist.Trainers;

/// <summary>The ML.NET task an MLP is trained for: the same network with a different head (<see cref="Engines.MlpHead"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MlpTask>))]
public enum MlpTask
{
    /// <summary>A key or integer label; softmax over one output per class.</summary>
    MulticlassClassification,
    /// <summary>A Boolean label; one logit, log-loss.</summary>
    BinaryClassification,
    /// <summary>A Single label; one output, squared error or Huber loss on the standardised label.</summary>
    Regression,
}

/// <summary>The loss a regression MLP minimises.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RegressionLoss>))]
public enum RegressionLoss
{
    /// <summary>Mean squared error (torch's F.mse_loss).</summary>
    Squared,
    /// <summary>Huber loss with <see cref="MlpOptions.HuberDelta"/>, in standard deviations of the label (torch's F.huber_loss).</summary>
    Huber,
}
