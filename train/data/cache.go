package data

import "sync"

// Cache opens each dataset spec once, on its first Get, and answers every later Get
// of the spec with the same Data or the same error: a stream of many models on one
// dataset loads it once, and a spec that does not load is not tried again. It is
// safe for concurrent use: Gets of one spec wait for its single open, Gets of
// different specs open them at the same time.
type Cache struct {
	open func(spec string) (*Data, error)
	mu   sync.Mutex
	sets map[string]*cached
}

// cached is one spec's entry: filled once, by the first Get.
type cached struct {
	once sync.Once
	d    *Data
	err  error
}

// NewCache returns an empty cache that opens specs with open (Open when nil).
func NewCache(open func(spec string) (*Data, error)) *Cache {
	if open == nil {
		open = Open
	}
	return &Cache{open: open, sets: map[string]*cached{}}
}

// Get returns the dataset spec names, opening it on the first call for spec.
func (c *Cache) Get(spec string) (*Data, error) {
	c.mu.Lock()
	e := c.sets[spec]
	if e == nil {
		e = &cached{}
		c.sets[spec] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.d, e.err = c.open(spec) })
	return e.d, e.err
}
