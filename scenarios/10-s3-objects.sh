# S3 objects as the AWS CLI and boto3 meet them: cp of a 100 MB file in
# parts (and boto3's with CRC32 checksums), sync, ls, presign, rm
# --recursive, and the s3api object commands.
source "$(dirname "$0")/lib.sh"
cd "$(mktemp -d)"

step "a bucket, and a 100 MB file copied up and down in parts"
aws s3 mb s3://objects-scenario > /dev/null
head -c 100000000 /dev/urandom > big.bin
aws s3 cp big.bin s3://objects-scenario/data/big.bin > /dev/null
aws s3 cp s3://objects-scenario/data/big.bin big.back > /dev/null
cmp big.bin big.back || fail "the 100 MB file came back different"
etag=$(aws s3api head-object --bucket objects-scenario --key data/big.bin --query ETag --output text)
expect_contains "$etag" "-" "multipart ETag"
size=$(aws s3api head-object --bucket objects-scenario --key data/big.bin --query ContentLength --output text)
expect_eq 100000000 "$size" "size"

step "sync a tree with awkward keys, ls it, sync it back"
mkdir -p tree/sub "tree/with space" tree/ünï
echo one > tree/a.txt; echo two > tree/sub/b.txt; echo three > "tree/with space/c+d.txt"; echo four > tree/ünï/e%20f.txt
# S3 keeps LastModified to the second and sync uploads a file newer than
# its object: files written in the second of their upload would look newer.
find tree -type f -exec touch -d '1 minute ago' {} +
aws s3 sync tree s3://objects-scenario/tree > /dev/null
out=$(aws s3 ls s3://objects-scenario/tree/)
expect_contains "$out" "PRE sub/"
expect_contains "$out" "PRE with space/"
expect_contains "$out" "a.txt"
out=$(aws s3 ls --recursive s3://objects-scenario/tree/)
expect_contains "$out" "tree/with space/c+d.txt"
expect_contains "$out" "tree/ünï/e%20f.txt"
aws s3 sync s3://objects-scenario/tree back > /dev/null
diff -r tree back || fail "sync round trip differs"
out=$(aws s3 sync tree s3://objects-scenario/tree)
expect_eq "" "$out" "second sync copies nothing"

step "s3api put-object, get-object, list-objects-v2, tagging"
printf 'hello' > small.txt
aws s3api put-object --bucket objects-scenario --key "keys/trailing/" --body small.txt > /dev/null
aws s3api put-object --bucket objects-scenario --key "keys/a//b" --body small.txt --content-type text/plain --metadata colour=blue --tagging 'team=red' > /dev/null
aws s3api get-object --bucket objects-scenario --key "keys/a//b" got.txt > meta.json
expect_eq hello "$(cat got.txt)" "get-object body"
expect_contains "$(cat meta.json)" '"colour": "blue"'
expect_contains "$(cat meta.json)" '"ContentType": "text/plain"'
out=$(aws s3api list-objects-v2 --bucket objects-scenario --prefix keys/ --query 'Contents[].Key' --output text)
expect_contains "$out" "keys/trailing/"
expect_contains "$out" "keys/a//b"
out=$(aws s3api get-object-tagging --bucket objects-scenario --key "keys/a//b" --query 'TagSet[0].Value' --output text)
expect_eq red "$out" "tag"
aws s3api get-object --bucket objects-scenario --key "keys/a//b" --range bytes=1-3 part.txt > /dev/null
expect_eq ell "$(cat part.txt)" "range"
expect_error NoSuchKey aws s3api get-object --bucket objects-scenario --key nope nope.txt
expect_error BadDigest aws s3api put-object --bucket objects-scenario --key bad --body small.txt --checksum-crc32 AAAAAA==
expect_error 404 aws s3api head-object --bucket objects-scenario --key bad

step "a presigned GET fetched with curl, and a range of it"
url=$(aws s3 presign "s3://objects-scenario/keys/a//b" --expires-in 300)
expect_eq hello "$(curl -sf "$url")" "presigned GET"
expect_eq ell "$(curl -sf -H 'Range: bytes=1-3' "$url")" "presigned ranged GET"

step "boto3 upload_file in parts with CRC32 checksums, and download_file"
python3 - <<PY
import boto3, filecmp
s3 = boto3.client("s3", endpoint_url="$ROLECALL_ENDPOINT", region_name="us-east-1")
cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=8*1024*1024, multipart_chunksize=8*1024*1024)
s3.upload_file("big.bin", "objects-scenario", "boto/big.bin", Config=cfg, ExtraArgs={"ChecksumAlgorithm": "CRC32"})
head = s3.head_object(Bucket="objects-scenario", Key="boto/big.bin", ChecksumMode="ENABLED")
assert head["ChecksumCRC32"].endswith("-12"), head  # composite: 12 parts of 8 MiB
s3.download_file("objects-scenario", "boto/big.bin", "boto.back", Config=cfg)
assert filecmp.cmp("big.bin", "boto.back", shallow=False), "boto3 round trip differs"
PY

step "rm --recursive empties the bucket, rb removes it"
aws s3 rm --recursive s3://objects-scenario > /dev/null
out=$(aws s3 ls --recursive s3://objects-scenario)
expect_eq "" "$out" "keys left"
aws s3 rb s3://objects-scenario > /dev/null
