// Tests share real MNIST and a 2-core machine; the heavy ones train models, so run classes in sequence.
[assembly: DoNotParallelize]
