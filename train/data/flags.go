package data

import "flag"

// Flags adds the dataset flags of the programs that open datasets, --cache-dir and
// --skip-bad, to fs and returns the Options they set.
func Flags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.CacheDir, "cache-dir", "", "folder of decoded image-folder caches (default $XDG_CACHE_HOME/dds or ~/.cache/dds)")
	fs.BoolVar(&o.SkipBad, "skip-bad", false, "leave out image files that do not decode, reporting how many")
	return o
}
