namespace MlNetMnist.Trainers.Learning;

/// <summary>An optimizer's settings that a schedule sets before each step.</summary>
public interface ISchedulable
{
    /// <summary>The step size of the next steps.</summary>
    float LearningRate { get; set; }

    /// <summary>SGD's momentum, or Adam's β1, for the next steps.</summary>
    float Momentum { get; set; }
}
