package formats

// Statuses of the training stages. A trained record carries one in its "status"
// column (Trained.Status: ok, diverged or failed), an evaluated record one in its
// "eval_status" column (Evaluated.Status: ok, skipped or failed). Whenever the status
// is not ok, the record's "error" (training) or "eval_error" (evaluation) column says
// why.
const (
	// StatusOK: in "status", the model trained every epoch and its weights are in
	// the "weights" column; in "eval_status", the model was measured on eval_images
	// images and test_error, test_top5_error and test_loss hold the result (they are
	// null under any other eval_status).
	StatusOK = "ok"
	// StatusDiverged ("status" only): the training loss became NaN or infinite; the
	// epochs up to that step are recorded and the record has no weights.
	StatusDiverged = "diverged"
	// StatusFailed: in "status", the model could not be built or trained (an invalid
	// config or recipe, a dataset that does not load or fit the network, an engine
	// failure, a memory budget exceeded); in "eval_status", a trained model could not
	// be evaluated (its dataset, engine or weights failed).
	StatusFailed = "failed"
	// StatusSkipped ("eval_status" only): the record holds no trained network (its
	// status is not ok, or it has no weights), so it was not evaluated.
	StatusSkipped = "skipped"
)
