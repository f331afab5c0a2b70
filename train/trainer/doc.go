// Package trainer trains the networks of a config stream: Train runs one model on
// one engine, Run turns a config stream into a trained stream (one trained record
// per config, in input order), and Store keeps checkpoints so that an interrupted
// run resumes.
//
// # Concurrency
//
// Run reads the whole input first, resolves every row's recipe and opens each
// dataset the rows name once (a data.Cache). Then Options.Jobs workers (chosen by
// AutoConcurrency when 0: one per 4 cores on the CPU, as many as the GPU's free
// memory holds on a GPU) take the rows in input order from a feeder goroutine, each
// training one model at a time on an engine of its own (Options.NewEngine, closed
// when the model is done). A model's record goes into a one-slot channel of its own
// row; Run's goroutine writes the records strictly in input order, each as soon as
// it and every row before it are done, so the output is the same for any number of
// workers, only sooner. Models train under the read side of one lock; a model that
// runs out of device memory beside others is trained again under the write side,
// alone. The workers update the progress line under its mutex, and write their log
// lines to Options.Log as they happen (through the progress line's writer when there
// is one, which serialises them; otherwise Log must take concurrent writes, as
// os.Stderr does). When a write fails, Run stops the feeder, interrupts the
// running models before their next step and waits for every worker before it
// returns the error: nothing trains, logs or writes to the store after Run returns.
//
// # Checkpoints
//
// A Store is a directory with at most two files per job, named by JobKey (a hash of
// the config's id, its index in the sampler's run, the seed and the resolved
// recipe, so a job finds its checkpoint from any shard file): KEY.state, written
// after every epoch but the last, a safetensors file with the network's state dict
// (parameters and BN statistics), its SGD momentum and the partial Result (epochs
// so far, steps, wall time, images) as metadata; and KEY.done, the JSON of the
// finished Result with its weights, written when a model ends ok or diverged (a
// failed model is not stored, so it is tried again), which removes KEY.state. Each
// file is written whole under a temporary name and renamed over the old one, so a
// run killed at any moment leaves the old file or the new one; OpenStore removes
// temporaries a killed run left. On a later run a job with KEY.done is not trained
// again (its record is rebuilt from the stored Result), and a job with KEY.state
// restores its network and momentum and continues from the next epoch, with the
// saved epochs' losses, wall time and images carried over.
//
// # Determinism
//
// A model's result depends only on its Job (architecture, seed and recipe, with the
// augmentation resolved), its dataset and the engine it trains on (kind and
// precision): the seed fixes the initial weights (network.Net.Init), each epoch's
// example order (data.Permutation(n, seed, epoch)) and its augmentation (a PCG
// seeded by seed and epoch), and the learning rate of each step is a function of
// the step (Recipe.LRAt). Nothing depends on time, on the number of workers, on
// which worker trains a model or on the order models finish. So two runs of the
// same input and flags on the same machine give the same records, weights included,
// except the timing columns (wall_s and img_per_s); a run
// resumed from a checkpoint gives the result of an uninterrupted one, because each
// epoch's inputs are drawn from (seed, epoch) alone and the state saved after an
// epoch is the whole state the next one reads.
package trainer
